//! A derived state machine doing real I/O: an echo server whose per-connection task is the
//! `Copy` machine (socket into itself), and a client that checks every byte.
//!
//! Run it with `cargo run --release -p blitz-io-examples --example tcp_copy`.

#[path = "shared/copy_machine.rs"]
mod copy_machine;

use blitz_io::io::{AsyncReadExt, AsyncWriteExt};
use blitz_io::machine::StateMachine;
use blitz_io::net::{TcpListener, TcpStream};
use copy_machine::{Copy, CopyStep};

fn main() {
    let echoed = blitz_io::run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = blitz_io::spawn(async move {
            let (socket, _) = listener.accept().await?;
            // Reader and writer are the same socket, shared by reference.
            let machine = Copy::new(&socket, &socket, 4096);
            machine.await
        });
        let client = TcpStream::connect(addr).await?;
        let message: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let (mut read_half, mut write_half) = client.into_split();
        let to_send = message.clone();
        let sender = blitz_io::spawn(async move {
            write_half.write_all(&to_send).await?;
            // Half-close: the machine reads end of stream, closes its side, finishes.
            write_half.close().await
        });
        let mut echoed = Vec::new();
        read_half.read_to_end(&mut echoed).await?;
        sender.await.expect("the sender does not panic")?;
        let copied = server.await.expect("the server task does not panic")?;
        assert_eq!(copied, message.len() as u64);
        assert!(echoed == message, "the echo differs from what was sent");
        std::io::Result::Ok(copied)
    });
    let copied = echoed.expect("the echo completes");
    let first_step = <Copy<&TcpStream, &TcpStream> as StateMachine>::step_name(CopyStep::Read);
    assert_eq!(first_step, "read");
    println!("the Copy machine echoed {copied} bytes intact");
}
