//! A flag parser for the echo binaries: `--name value` pairs and bare `--name` switches, with
//! a usage error naming the offending flag. Small on purpose (no extra dependency).

use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// Parsed command-line flags.
///
/// ```
/// use blitz_io_benches::echo::args::Args;
/// use std::time::Duration;
///
/// let argv = ["--size", "1024", "--duration=500ms", "--quick"].map(String::from);
/// let args = Args::parse(argv, &["quick"]).unwrap();
/// args.finish(&["size", "duration", "quick"]).unwrap();
/// assert_eq!(args.get("size", 64usize), Ok(1024));
/// assert_eq!(args.duration("duration", Duration::ZERO), Ok(Duration::from_millis(500)));
/// assert!(args.flag("quick"));
/// ```
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<String, String>,
}

impl Args {
    /// Parses `args` (without the program name). `switches` names the flags that take no
    /// value; every other flag takes the next argument. Unknown flags are reported by
    /// [`Args::finish`] when `known` does not list them.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        switches: &[&str],
    ) -> Result<Args, String> {
        let mut values = HashMap::new();
        let mut iter = args.into_iter();
        while let Some(arg) = iter.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument `{arg}`"));
            };
            let (name, value) = match name.split_once('=') {
                Some((n, v)) => (n.to_owned(), v.to_owned()),
                None if switches.contains(&name) => (name.to_owned(), String::new()),
                None => {
                    let value = iter
                        .next()
                        .ok_or_else(|| format!("--{name} needs a value"))?;
                    (name.to_owned(), value)
                }
            };
            values.insert(name, value);
        }
        Ok(Args { values })
    }

    /// Errors if a flag outside `known` was given.
    pub fn finish(&self, known: &[&str]) -> Result<(), String> {
        match self.values.keys().find(|k| !known.contains(&k.as_str())) {
            Some(k) => Err(format!("unknown flag --{k}")),
            None => Ok(()),
        }
    }

    /// Whether the switch `name` was given.
    pub fn flag(&self, name: &str) -> bool {
        self.values.contains_key(name)
    }

    /// The value of `--name` parsed as `T`, or `default` when absent.
    pub fn get<T: FromStr>(&self, name: &str, default: T) -> Result<T, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| format!("--{name}: cannot parse `{v}`")),
        }
    }

    /// The raw string value of `--name`.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A duration given as seconds (`1.5`) or with a unit (`500ms`, `2s`).
    pub fn duration(&self, name: &str, default: Duration) -> Result<Duration, String> {
        match self.values.get(name) {
            None => Ok(default),
            Some(v) => parse_duration(v).ok_or_else(|| format!("--{name}: cannot parse `{v}`")),
        }
    }
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else {
        (text, 1.0)
    };
    let secs = number.parse::<f64>().ok()? * scale;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::Args;
    use std::time::Duration;

    fn parse(line: &str) -> Result<Args, String> {
        Args::parse(line.split_whitespace().map(str::to_owned), &["quick"])
    }

    #[test]
    fn values_switches_and_units() {
        let a = parse("--connections 64 --size=1024 --quick --duration 500ms --warmup 2").unwrap();
        assert_eq!(a.get("connections", 1usize), Ok(64));
        assert_eq!(a.get("size", 0usize), Ok(1024));
        assert_eq!(a.get("threads", 1usize), Ok(1));
        assert!(a.flag("quick"));
        assert_eq!(
            a.duration("duration", Duration::ZERO),
            Ok(Duration::from_millis(500))
        );
        assert_eq!(
            a.duration("warmup", Duration::ZERO),
            Ok(Duration::from_secs(2))
        );
        assert!(a
            .finish(&["connections", "size", "quick", "duration", "warmup"])
            .is_ok());
        assert!(a.finish(&["connections"]).is_err());
    }

    #[test]
    fn errors_name_the_flag() {
        assert!(parse("--size").unwrap_err().contains("--size"));
        assert!(parse("size").is_err());
        let a = parse("--size big").unwrap();
        assert!(a.get("size", 0usize).unwrap_err().contains("--size"));
    }
}
