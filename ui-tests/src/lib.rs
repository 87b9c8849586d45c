//! Compile-fail and pass cases for the blitz-io macros, driven by trybuild from `tests/`.
//! The cases arrive with the macros issue; this crate exists so the workspace layout is fixed.
