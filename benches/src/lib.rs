//! Shared helpers for the criterion suites and the `compare` binary.
