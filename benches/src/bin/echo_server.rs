//! `echo_server`: the TCP echo server of the echo benchmark, on blitz-io or on Tokio.
//!
//! ```text
//! cargo run --release -p blitz-io-benches --bin echo_server -- --runtime blitz|tokio \
//!     [--backend auto|io_uring|mio] [--workers 2] [--api traits|owned] [--addr 127.0.0.1:0]
//! ```
//!
//! Prints `listening ADDR runtime=... backend=... workers=... api=...` once it accepts (the
//! backend is the one actually running, after any fallback), then serves until standard input
//! reaches EOF, when it prints `server_cpu_us=... user_us=... sys_us=...` (its own
//! `getrusage`) and exits. See `blitz_io_benches::echo::server` for the design. Exit status 2
//! on a usage error, 3 when the requested server is not available in this build, 1 on any
//! other error.

use std::io;
use std::process::ExitCode;

use blitz_io_benches::echo::args::Args;
use blitz_io_benches::echo::server::{self, Api, BackendChoice, Runtime, ServerConfig};

const FLAGS: &[&str] = &["runtime", "backend", "workers", "api", "addr"];

fn config() -> Result<ServerConfig, String> {
    let args = Args::parse(std::env::args().skip(1), &[])?;
    args.finish(FLAGS)?;
    let runtime = match args.str("runtime") {
        Some("blitz") => Runtime::Blitz,
        Some("tokio") => Runtime::Tokio,
        Some(other) => return Err(format!("--runtime: `{other}` is not blitz or tokio")),
        None => return Err("--runtime blitz|tokio is required".to_owned()),
    };
    let backend = match args.str("backend").unwrap_or("auto") {
        "auto" => BackendChoice::Auto,
        "io_uring" | "io-uring" => BackendChoice::IoUring,
        "mio" => BackendChoice::Mio,
        other => return Err(format!("--backend: `{other}` is not auto, io_uring or mio")),
    };
    if runtime == Runtime::Tokio && backend != BackendChoice::Auto {
        return Err("--backend applies to --runtime blitz only".to_owned());
    }
    let api = match args.str("api").unwrap_or("traits") {
        "traits" => Api::Traits,
        "owned" => Api::Owned,
        other => return Err(format!("--api: `{other}` is not traits or owned")),
    };
    let workers = args.get("workers", 2usize)?;
    if workers == 0 {
        return Err("--workers must be at least 1".to_owned());
    }
    let addr = args
        .get("addr", "127.0.0.1:0".to_owned())?
        .parse()
        .map_err(|e| format!("--addr: {e}"))?;
    Ok(ServerConfig {
        addr,
        runtime,
        backend,
        workers,
        api,
    })
}

fn main() -> ExitCode {
    let config = match config() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("echo_server: {e}\nflags: --{}", FLAGS.join(" --"));
            return ExitCode::from(2);
        }
    };
    if let Err(e) = server::exit_when_stdin_closes() {
        eprintln!("echo_server: cannot watch stdin: {e}");
        return ExitCode::FAILURE;
    }
    let workers = config.workers;
    let result = match config.runtime {
        Runtime::Tokio => server::run_tokio(&config, move |l| l.announce("tokio", workers)),
        Runtime::Blitz => server::run_blitz(&config, move |l| l.announce("blitz", workers)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            eprintln!("echo_server: not available: {e}");
            ExitCode::from(3)
        }
        Err(e) => {
            eprintln!("echo_server: {e}");
            ExitCode::FAILURE
        }
    }
}
