//! The run's context for the report header: the machine (CPU, cores, kernel, toolchain, load)
//! and the commit the binary was built from.

use serde_json::{json, Value};

/// Where and with what the numbers were taken.
#[derive(Debug, Clone)]
pub struct Machine {
    /// Logical CPUs available (`nproc`).
    pub nproc: usize,
    /// CPU model name from `/proc/cpuinfo`.
    pub cpu_model: String,
    /// Kernel release.
    pub kernel: String,
    /// `rustc -V` of the compiler that built this binary.
    pub rustc: String,
    /// Tokio version from `Cargo.lock`.
    pub tokio: String,
    /// Cargo profile this binary was built with.
    pub profile: String,
    /// Commit of the workspace (with `-dirty` when the tree had changes).
    pub commit: String,
    /// When the run finished (UTC).
    pub date: String,
    /// `/proc/loadavg` (1, 5, 15 min) when the run started and when it finished: other work
    /// on the machine shows up here.
    pub load: String,
}

impl Machine {
    /// Reads the machine's description; `load_at_start` from [`load_average`] when the run
    /// began.
    pub fn detect(load_at_start: &str) -> Machine {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned());
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned());
        Machine {
            nproc: std::thread::available_parallelism().map_or(0, usize::from),
            cpu_model,
            kernel,
            rustc: env!("BENCH_RUSTC_VERSION").to_owned(),
            tokio: env!("BENCH_TOKIO_VERSION").to_owned(),
            profile: env!("BENCH_PROFILE").to_owned(),
            commit: git_commit(),
            date: utc_now(),
            load: format!("{load_at_start} at start, {} at the end", load_average()),
        }
    }

    pub(super) fn json(&self) -> Value {
        json!({
            "nproc": self.nproc,
            "cpu_model": self.cpu_model,
            "kernel": self.kernel,
            "rustc": self.rustc,
            "tokio": self.tokio,
            "profile": self.profile,
            "commit": self.commit,
            "date": self.date,
            "load_average": self.load,
        })
    }
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "unknown".to_owned())
}

fn git_commit() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let run = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    match run(&["rev-parse", "--short", "HEAD"]) {
        Some(hash) => {
            let dirty = run(&["status", "--porcelain", "--untracked-files=no"])
                .is_some_and(|s| !s.is_empty());
            if dirty {
                format!("{hash}-dirty")
            } else {
                hash
            }
        }
        None => "unknown".to_owned(),
    }
}

/// The current UTC time as `YYYY-MM-DD HH:MM UTC`.
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (proleptic Gregorian calendar).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::utc_now;

    #[test]
    fn date_is_plausible() {
        let now = utc_now();
        assert!(now.starts_with("20"), "{now}");
        assert!(now.ends_with("UTC"), "{now}");
    }
}
