//! Build script: records, for the `compare` report, the version of the compiler that builds
//! this package, the Tokio version locked in the workspace's `Cargo.lock`, and the Cargo profile
//! (read from the `OUT_DIR` path, since `PROFILE` says `release` for every optimised profile).

use std::path::Path;
use std::process::Command;

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc_version = Command::new(rustc)
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BENCH_RUSTC_VERSION={rustc_version}");

    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default();
    let lock = Path::new(&manifest_dir).join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed=build.rs");
    let tokio_version = std::fs::read_to_string(&lock)
        .ok()
        .and_then(|text| {
            let mut lines = text.lines();
            while let Some(line) = lines.next() {
                if line.trim() == "name = \"tokio\"" {
                    return lines.next().and_then(|v| {
                        v.trim()
                            .strip_prefix("version = \"")
                            .and_then(|v| v.strip_suffix('"'))
                            .map(str::to_owned)
                    });
                }
            }
            None
        })
        .unwrap_or_else(|| "unknown".to_owned());
    println!("cargo:rustc-env=BENCH_TOKIO_VERSION={tokio_version}");

    // OUT_DIR is <target>/<profile dir>/build/<package>-<hash>/out.
    let out_dir = std::env::var("OUT_DIR").unwrap_or_default();
    let profile = Path::new(&out_dir)
        .ancestors()
        .nth(3)
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let profile = if profile == "debug" {
        "dev".to_owned()
    } else {
        profile
    };
    println!("cargo:rustc-env=BENCH_PROFILE={profile}");
}
