//! Compile-fail and pass cases for every macro, one concern per file, grouped by macro.
//!
//! The `.stderr` files are blessed on rustc 1.95 (`TRYBUILD=overwrite cargo test -p
//! blitz-io-ui-tests`); other compilers word their diagnostics differently, so the run is
//! gated to that version.

#[rustversion::attr(not(stable(1.95)), ignore)]
#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/entry/pass/*.rs");
    cases.compile_fail("ui/entry/fail/*.rs");
    cases.pass("ui/task/pass/*.rs");
    cases.compile_fail("ui/task/fail/*.rs");
    cases.pass("ui/machine/pass/*.rs");
    cases.compile_fail("ui/machine/fail/*.rs");
    cases.compile_fail("ui/select/fail/*.rs");
}
