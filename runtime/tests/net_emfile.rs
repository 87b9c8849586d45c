//! Accept under `EMFILE`, in a child process of its own (it exhausts its descriptor table):
//! the accept fails with the real error, and the listener works again once descriptors free up.
//! Unix only: Windows has no per-process descriptor table to exhaust.
#![cfg(unix)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use blitz_io::net::TcpListener;
use blitz_io::runtime::{Backend, Builder};

const CHILD: &str = "BLITZ_EMFILE_CHILD";

#[test]
fn accept_reports_emfile_and_recovers_when_descriptors_free_up() {
    for backend in common::io_backends() {
        let exe = std::env::current_exe().unwrap();
        let mut child = Command::new(exe)
            .args(["--exact", "emfile_child", "--nocapture", "--test-threads=1"])
            .env(CHILD, backend.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the child printed its address")
                .unwrap();
            // libtest may print "test emfile_child ... " on the same line first.
            if let Some((_, addr)) = line.split_once("listening on ") {
                break addr.trim().to_owned();
            }
        };
        // Two connections: the first is refused an fd (EMFILE), the second is accepted after
        // the child frees descriptors (the first stays queued in the backlog too).
        let first = std::net::TcpStream::connect(&addr).unwrap();
        let second = std::net::TcpStream::connect(&addr).unwrap();
        let status = child.wait().unwrap();
        drop((first, second));
        assert!(status.success(), "{backend}: the child failed");
    }
}

/// The child's body; does nothing unless started by the test above.
#[test]
fn emfile_child() {
    let Ok(backend) = std::env::var(CHILD) else {
        return;
    };
    let backend = if backend == "io_uring" {
        Backend::IoUring
    } else {
        Backend::Mio
    };
    let rt = Builder::new_current_thread()
        .backend(backend)
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        // Use up every descriptor.
        let mut hoard = Vec::new();
        loop {
            match std::fs::File::open("/dev/null") {
                Ok(file) => hoard.push(file),
                Err(error) => {
                    assert_eq!(error.raw_os_error(), Some(libc::EMFILE));
                    break;
                }
            }
            assert!(hoard.len() < 1_000_000, "no descriptor limit in sight");
        }
        // stdout is already open: tell the parent where to connect.
        println!("listening on {}", listener.local_addr().unwrap());
        let error = listener
            .accept()
            .await
            .expect_err("no descriptor is left for the connection");
        assert_eq!(error.raw_os_error(), Some(libc::EMFILE), "{error}");
        hoard.truncate(hoard.len() - 10);
        let (first, _) = listener.accept().await.expect("the listener works again");
        let (second, _) = listener.accept().await.expect("and keeps working");
        assert_ne!(first.peer_addr().unwrap(), second.peer_addr().unwrap());
    });
}
