//! Signals on both I/O backends: a test sends the process a signal and a listener sees it.
//! Unix only; Windows' console events are tested by the crate's unit tests (`signal::windows`),
//! which call the console handler as the console thread would.
#![cfg(unix)]

mod common;

use std::time::Duration;

use blitz_io::signal::unix::{signal, SignalKind};

fn raise(signal: i32) {
    // SAFETY: the signal has a handler installed (the listener was created first).
    assert_eq!(unsafe { libc::raise(signal) }, 0);
}

#[test]
fn each_backend_delivers_a_raised_signal_to_its_listeners() {
    for backend in common::io_backends() {
        let rt = common::multi_on(2, backend);
        rt.block_on(async {
            let mut first = signal(SignalKind::user_defined1()).unwrap();
            let mut second = signal(SignalKind::user_defined1()).unwrap();
            raise(libc::SIGUSR1);
            let within = Duration::from_secs(10);
            blitz_io::time::timeout(within, first.recv())
                .await
                .unwrap()
                .unwrap();
            blitz_io::time::timeout(within, second.recv())
                .await
                .unwrap()
                .unwrap();
            // Nothing more was sent: the next recv waits.
            let more = blitz_io::time::timeout(Duration::from_millis(50), first.recv()).await;
            assert!(more.is_err(), "{backend}: one delivery was received twice");
            raise(libc::SIGUSR1);
            blitz_io::time::timeout(within, first.recv())
                .await
                .unwrap()
                .unwrap();
        });
    }
}

#[test]
fn ctrl_c_completes_on_sigint() {
    let rt = blitz_io::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let ctrl_c = blitz_io::spawn(blitz_io::signal::ctrl_c());
        // Let the listener install its handler before the signal is raised.
        while !ctrl_c.is_finished() {
            blitz_io::task::yield_now().await;
            raise(libc::SIGINT);
            blitz_io::time::sleep(Duration::from_millis(5)).await;
        }
        ctrl_c.await.unwrap().unwrap();
    });
}

#[test]
fn uncatchable_signals_are_an_error() {
    let rt = blitz_io::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        assert!(signal(SignalKind::from_raw(libc::SIGKILL)).is_err());
        assert!(signal(SignalKind::from_raw(0)).is_err());
        assert!(signal(SignalKind::from_raw(1000)).is_err());
    });
}
