//! Procedural macros for [blitz-io](https://docs.rs/blitz-io).
//!
//! This crate is a placeholder until the macros issue lands: `#[derive(StateMachine)]`,
//! `#[task]`, `#[blitz_io::main]` and `#[blitz_io::test]` will live here, built as a
//! parse -> validate -> lower -> generate pipeline. Use it through the `blitz-io` crate,
//! which re-exports it behind its default `macros` feature.
