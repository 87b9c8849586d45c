//! `io::stdin`/`stdout`/`stderr`, in a child process of this test binary whose standard
//! streams are pipes: input larger than one pool read arrives whole and in order, end of input
//! is reported, output larger than one pool write arrives whole on stdout and stderr, and a
//! write to a closed pipe reports `BrokenPipe` through the next write or flush.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use blitz_io::io::{stderr, stdin, stdout, AsyncReadExt, AsyncWriteExt};

const CHILD: &str = "BLITZ_STDIO_CHILD";
const BEGIN: &[u8] = b"<<BEGIN>>";
const END: &[u8] = b"<<END>>";
const READY: &str = "<<READY>>";

/// Runs `stdio_child` in a child process in `mode`, feeding it `input` (from another thread,
/// so a child writing a lot cannot deadlock against us).
fn run_child(mode: &str, input: Vec<u8>, keep_stdout: bool) -> Output {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args(["--exact", "stdio_child", "--nocapture", "--test-threads=1"])
        .env(CHILD, mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if !keep_stdout {
        // Once libtest's header is out (the child says so, then waits for end of input),
        // nobody reads the child's output any more: its writes fail with EPIPE.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        while !lines
            .next()
            .expect("the child said it was ready")
            .unwrap()
            .contains(READY)
        {}
    }
    let mut child_in = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || child_in.write_all(&input));
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap().unwrap();
    output
}

/// The bytes between the markers: libtest prints its own lines on the same stdout.
fn framed(stream: &[u8]) -> &[u8] {
    let start = find(stream, BEGIN).expect("the child wrote the start marker") + BEGIN.len();
    let len = find(&stream[start..], END).expect("the child wrote the end marker");
    &stream[start..start + len]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn input_comes_back_uppercased_on_stdout_and_counted_on_stderr() {
    // 200 000 bytes: several pool reads and writes (each moves at most 64 KiB).
    for len in [0usize, 10, 200_000] {
        let input: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
        let output = run_child("echo", input.clone(), true);
        let stderr_text = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{len}: child failed: {stderr_text}"
        );
        assert_eq!(
            framed(&output.stdout),
            input.to_ascii_uppercase().as_slice(),
            "{len}: stdout"
        );
        assert!(
            stderr_text.contains(&format!("child read {len} bytes")),
            "{len}: stderr was {stderr_text:?}"
        );
    }
}

#[test]
fn writing_to_a_closed_stdout_reports_broken_pipe() {
    let output = run_child("epipe", Vec::new(), false);
    let stderr_text = String::from_utf8_lossy(&output.stderr);
    // The child's exit status is no evidence: libtest's own report then fails on the same
    // closed pipe.
    assert!(
        stderr_text.contains("child write error: BrokenPipe"),
        "stderr was {stderr_text:?}"
    );
}

/// The child's side; does nothing when run as an ordinary test.
#[test]
fn stdio_child() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    println!("{READY}");
    std::io::stdout().flush().unwrap();
    common::multi(2).block_on(async {
        let mut input = Vec::new();
        stdin().read_to_end(&mut input).await.unwrap();
        // A read after end of input reports it again rather than hanging.
        assert_eq!(stdin().read(&mut [0u8; 8]).await.unwrap(), 0);
        let mut err = stderr();
        match mode.as_str() {
            "echo" => {
                let mut out = stdout();
                out.write_all(BEGIN).await.unwrap();
                out.write_all(&input.to_ascii_uppercase()).await.unwrap();
                out.write_all(END).await.unwrap();
                out.flush().await.unwrap();
                let line = format!("child read {} bytes\n", input.len());
                err.write_all(line.as_bytes()).await.unwrap();
            }
            "epipe" => {
                let mut out = stdout();
                let chunk = [b'x'; 4096];
                let error = loop {
                    if let Err(e) = out.write_all(&chunk).await {
                        break e;
                    }
                    if let Err(e) = out.flush().await {
                        break e;
                    }
                };
                let line = format!("child write error: {:?}\n", error.kind());
                err.write_all(line.as_bytes()).await.unwrap();
            }
            other => panic!("unknown child mode {other}"),
        }
        err.flush().await.unwrap();
    });
}
