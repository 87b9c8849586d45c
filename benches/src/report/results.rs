//! Tables that the benchmark binaries run apart from `compare` (`lateness`, `sleep_million`,
//! `ring_cost`, `run-echo.sh`) save under `benches/results/`, and that `compare` copies into
//! `BENCHMARKS.md` when it regenerates it.

use std::fmt::Write as _;

fn path(name: &str) -> String {
    format!("{}/results/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Saves `table` as `benches/results/NAME` and says so on stderr, prefixed with `binary`;
/// false (after saying why) if it could not be written.
pub fn save_table(binary: &str, name: &str, table: &str) -> bool {
    let path = path(name);
    match std::fs::write(&path, table) {
        Ok(()) => {
            eprintln!("{binary}: wrote {path}");
            true
        }
        Err(error) => {
            eprintln!("{binary}: could not write {path}: {error}");
            false
        }
    }
}

/// Appends the saved table `benches/results/NAME` and a blank line, or, if there is none yet,
/// a note saying so and how to make it (`how`, e.g. "run `lateness --write`").
pub(crate) fn push_table(out: &mut String, name: &str, how: &str) {
    match std::fs::read_to_string(path(name)) {
        Ok(text) => {
            out.push_str(&text);
            out.push('\n');
        }
        Err(_) => {
            let _ = writeln!(out, "(no `benches/results/{name}` yet: {how})\n");
        }
    }
}
