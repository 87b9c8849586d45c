//! Runnable blitz-io programs live in `examples/`; run one with
//! `cargo run --release -p blitz-io-examples --example tour`.
