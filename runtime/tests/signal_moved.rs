//! A signal listener that outlives the runtime it was created in and is received on another
//! runtime (alone in its own test binary: no other runtime of the process watches the signal
//! pipe for it).
#![cfg(unix)]

mod common;

use std::time::Duration;

use blitz_io::signal::unix::{signal, SignalKind};

#[test]
fn a_listener_moved_to_another_runtime_still_receives() {
    for backend in common::io_backends() {
        let first = common::multi_on(1, backend);
        let mut listener = first.block_on(async { signal(SignalKind::user_defined2()).unwrap() });
        drop(first);
        let second = common::multi_on(1, backend);
        second.block_on(async {
            // SAFETY: the signal has a handler installed (the listener was created first).
            assert_eq!(unsafe { libc::raise(libc::SIGUSR2) }, 0);
            blitz_io::time::timeout(Duration::from_secs(5), listener.recv())
                .await
                .unwrap_or_else(|_| panic!("{backend}: the delivery was never published"))
                .unwrap();
        });
    }
}
