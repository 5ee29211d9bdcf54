//! Command-line options. Relative default paths are from the repository root, which is
//! where ci/bench runs the bench.

use crate::error::{Error, Result};
use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub const HELP: &str = "\
zerocam-bench: stream the same clip from the seed server and from zerocam to N clients each
and compare fps, CPU per frame, latency and memory.

USAGE:
    zerocam-bench [OPTIONS]
    zerocam-bench peer [OPTIONS]   zerocam against µStreamer on V4L2 sources (peer --help)

OPTIONS:
    --clip FILE              MJPEG clip to replay [../shared/clips/vga-640x480-125f.mjpeg]
    --fps N                  replay rate given to both servers [25]
    --clients LIST           client counts, comma-separated [10,100,500]
    --seconds S              measuring window per run [10]
    --warmup S               time between all clients connected and the window [2]
    --only WHICH             seed | zerocam | both [both]
    --seed-server FILE       the seed server script [../shared/baselines/seed_server.py]
    --python CMD             interpreter for the seed server [python3]
    --zerocam FILE           zerocam binary [zerocam next to this program]
    --client-threads N       threads running the clients (1 or 2 leaves a core for the server) [1]
    --connect-concurrency N  clients connecting at the same moment [32]
    --connect-timeout S      per-client connect + response head timeout [10]
    --start-timeout S        time for a server to accept connections [15]
    --json FILE              also write the results as JSON
    -h, --help               this text
";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Only {
    Seed,
    Zerocam,
    Both,
}

impl Only {
    pub fn seed(self) -> bool {
        matches!(self, Only::Seed | Only::Both)
    }

    pub fn zerocam(self) -> bool {
        matches!(self, Only::Zerocam | Only::Both)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub clip: PathBuf,
    pub fps: f64,
    pub clients: Vec<usize>,
    pub seconds: Duration,
    pub warmup: Duration,
    pub only: Only,
    pub seed_server: PathBuf,
    pub python: OsString,
    pub zerocam: Option<PathBuf>,
    pub client_threads: usize,
    pub connect_concurrency: usize,
    pub connect_timeout: Duration,
    pub start_timeout: Duration,
    pub json: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clip: "../shared/clips/vga-640x480-125f.mjpeg".into(),
            fps: 25.0,
            clients: vec![10, 100, 500],
            seconds: Duration::from_secs(10),
            warmup: Duration::from_secs(2),
            only: Only::Both,
            seed_server: "../shared/baselines/seed_server.py".into(),
            python: "python3".into(),
            zerocam: None,
            client_threads: 1,
            connect_concurrency: 32,
            connect_timeout: Duration::from_secs(10),
            start_timeout: Duration::from_secs(15),
            json: None,
        }
    }
}

/// Parsed command line: options to run with, or a request for help.
#[derive(Debug)]
pub enum Command {
    Run(Box<Options>),
    Help,
}

pub fn parse<I: IntoIterator<Item = OsString>>(args: I) -> Result<Command> {
    use lexopt::prelude::*;
    let mut opts = Options::default();
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(usage)? {
        let flag = flag_name(&arg)?;
        let text = |parser: &mut lexopt::Parser| flag_value(parser, &flag);
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Long("clip") => opts.clip = text(&mut parser)?.into(),
            Long("fps") => opts.fps = positive(&flag, &text(&mut parser)?)?,
            Long("clients") => opts.clients = client_list(&flag, &text(&mut parser)?)?,
            Long("seconds") => opts.seconds = seconds(&flag, &text(&mut parser)?)?,
            Long("warmup") => {
                opts.warmup = Duration::from_secs_f64(non_negative(&flag, &text(&mut parser)?)?)
            }
            Long("only") => opts.only = only(&flag, &text(&mut parser)?)?,
            Long("seed-server") => opts.seed_server = text(&mut parser)?.into(),
            Long("python") => opts.python = text(&mut parser)?.into(),
            Long("zerocam") => opts.zerocam = Some(text(&mut parser)?.into()),
            Long("client-threads") => opts.client_threads = count(&flag, &text(&mut parser)?, 1..=8)?,
            Long("connect-concurrency") => {
                opts.connect_concurrency = count(&flag, &text(&mut parser)?, 1..=10_000)?
            }
            Long("connect-timeout") => opts.connect_timeout = seconds(&flag, &text(&mut parser)?)?,
            Long("start-timeout") => opts.start_timeout = seconds(&flag, &text(&mut parser)?)?,
            Long("json") => opts.json = Some(text(&mut parser)?.into()),
            _ => return Err(Error::Usage(format!("unknown option {flag}"))),
        }
    }
    Ok(Command::Run(Box::new(opts)))
}

/// A lexopt error as a usage error.
pub fn usage(err: lexopt::Error) -> Error {
    Error::Usage(err.to_string())
}

/// The option as typed (`--name` or `-c`), for messages; a bare value is an error.
pub fn flag_name(arg: &lexopt::Arg<'_>) -> Result<String> {
    match arg {
        lexopt::Arg::Long(name) => Ok(format!("--{name}")),
        lexopt::Arg::Short(c) => Ok(format!("-{c}")),
        lexopt::Arg::Value(v) => Err(Error::Usage(format!("unexpected argument {v:?}"))),
    }
}

/// The value of option `flag`, as UTF-8 text.
pub fn flag_value(parser: &mut lexopt::Parser, flag: &str) -> Result<String> {
    let raw = parser.value().map_err(usage)?;
    raw.into_string().map_err(|raw| Error::Usage(format!("{flag}: {raw:?} is not UTF-8")))
}

pub fn positive(flag: &str, text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(Error::Usage(format!("{flag}: {text:?} is not a positive number"))),
    }
}

pub fn non_negative(flag: &str, text: &str) -> Result<f64> {
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(Error::Usage(format!("{flag}: {text:?} is not a number >= 0"))),
    }
}

pub fn seconds(flag: &str, text: &str) -> Result<Duration> {
    positive(flag, text).map(Duration::from_secs_f64)
}

pub fn count(flag: &str, text: &str, range: std::ops::RangeInclusive<usize>) -> Result<usize> {
    match text.trim().parse::<usize>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(Error::Usage(format!(
            "{flag}: {text:?} is not a whole number in {}..={}",
            range.start(),
            range.end()
        ))),
    }
}

pub fn client_list(flag: &str, text: &str) -> Result<Vec<usize>> {
    let list = text.split(',').map(|item| count(flag, item, 1..=100_000)).collect::<Result<Vec<_>>>()?;
    if list.is_empty() {
        return Err(Error::Usage(format!("{flag}: empty list")));
    }
    Ok(list)
}

fn only(flag: &str, text: &str) -> Result<Only> {
    match text {
        "seed" => Ok(Only::Seed),
        "zerocam" => Ok(Only::Zerocam),
        "both" => Ok(Only::Both),
        _ => Err(Error::Usage(format!("{flag}: {text:?} is not seed, zerocam or both"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Options> {
        match parse(args.iter().map(OsString::from))? {
            Command::Run(opts) => Ok(*opts),
            Command::Help => panic!("help"),
        }
    }

    #[test]
    fn defaults_and_overrides() {
        let opts = run(&[]).expect("defaults");
        assert_eq!(opts.clients, vec![10, 100, 500]);
        assert_eq!(opts.only, Only::Both);
        let opts = run(&["--clients", "1,5", "--only", "seed", "--seconds", "2.5"]).expect("valid");
        assert_eq!(opts.clients, vec![1, 5]);
        assert_eq!(opts.only, Only::Seed);
        assert_eq!(opts.seconds, Duration::from_millis(2500));
    }

    #[test]
    fn rejects_bad_values() {
        assert!(run(&["--clients", "10,,5"]).is_err());
        assert!(run(&["--only", "python"]).is_err());
        assert!(run(&["--seconds", "0"]).is_err());
        assert!(run(&["--frobnicate"]).is_err());
    }
}
