//! Time errors.

use std::fmt;

/// The deadline of a [`timeout`](crate::time::timeout) passed before its future completed.
///
/// ```
/// use std::time::Duration;
/// use blitz_io::time;
///
/// blitz_io::run(async {
///     let result = time::timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
///     let elapsed: time::error::Elapsed = result.unwrap_err();
///     assert_eq!(elapsed.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed(());

impl Elapsed {
    pub(crate) fn new() -> Elapsed {
        Elapsed(())
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

impl From<Elapsed> for std::io::Error {
    fn from(_: Elapsed) -> std::io::Error {
        std::io::ErrorKind::TimedOut.into()
    }
}
