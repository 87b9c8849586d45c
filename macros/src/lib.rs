//! Procedural macros for [blitz-io](https://docs.rs/blitz-io). Use them through the
//! `blitz-io` crate, which re-exports them behind its default `macros` feature.
//!
//! - `#[blitz_io::main]` and `#[blitz_io::test]`: run an `async fn` on a runtime (this file's
//!   `entry` module).
//! - `#[derive(StateMachine)]` and `#[task]` arrive with the macros issue.
//!
//! Every macro follows the same pipeline, one module per phase: parse the arguments and the
//! item, validate (collecting every error, each spanned on the offending tokens), then
//! generate. A macro never panics: errors become `compile_error!` invocations, emitted next to
//! a harmless version of the user's item so that IDEs keep analysing its body. Generated code
//! names the runtime through an absolute path (`::blitz_io` by default, or the `crate = "..."`
//! argument) into its hidden `__private` module.

mod entry;
mod errors;
mod task;

use proc_macro::TokenStream;

/// Runs an `async fn main` on a blitz-io runtime (multi-thread by default).
///
/// ```ignore
/// #[blitz_io::main]
/// async fn main() {
///     let answer = blitz_io::task::spawn(async { 42 }).await.unwrap();
///     println!("{answer}");
/// }
/// ```
///
/// Arguments: `flavor = "multi_thread"` (default) or `"current_thread"`; `worker_threads = N`
/// (multi-thread only, N ≥ 1; default: one per CPU); `crate = "path"` when the runtime crate is
/// renamed. It expands to a plain `fn main` that builds the runtime and calls `block_on` on the
/// body.
#[proc_macro_attribute]
pub fn main(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Main, args.into(), item.into()).into()
}

/// Runs an `async fn` test on a blitz-io runtime (current-thread by default).
///
/// ```ignore
/// #[blitz_io::test]
/// async fn spawns() {
///     assert_eq!(blitz_io::task::spawn(async { 1 }).await.unwrap(), 1);
/// }
/// ```
///
/// Arguments as for `#[blitz_io::main]`, with `flavor = "current_thread"` the default. Each
/// test gets a fresh runtime, shut down when the test ends.
#[proc_macro_attribute]
pub fn test(args: TokenStream, item: TokenStream) -> TokenStream {
    entry::expand(entry::Kind::Test, args.into(), item.into()).into()
}

/// Turns a plain `fn` into a function returning a nameable future.
///
/// See the crate documentation.
#[proc_macro_attribute]
pub fn task(args: TokenStream, item: TokenStream) -> TokenStream {
    task::expand(args.into(), item.into()).into()
}
