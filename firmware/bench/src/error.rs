//! Typed errors for the bench. Only these end the program with a non-zero status; a slow or
//! misbehaving server under load is a measurement, not an error.

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Bad command line.
    Usage(String),
    /// An input file (clip, seed script, zerocam binary) is not there.
    Missing { what: &'static str, path: PathBuf },
    /// An I/O call failed; `context` says what we were doing.
    Io { context: String, source: io::Error },
    /// The peer bench's board or source could not be set up (a module, a V4L2 device).
    Board(String),
    /// A server exited or never answered on its port.
    ServerStart { server: String, reason: String, log: PathBuf, log_tail: String },
}

pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(msg) => write!(f, "{msg} (see --help)"),
            Error::Missing { what, path } => {
                let cwd = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default();
                write!(f, "{what} not found: {} (relative paths are from {cwd})", path.display())
            }
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Board(msg) => write!(f, "bench board: {msg}"),
            Error::ServerStart { server, reason, log, log_tail } => {
                write!(f, "{server} server did not start: {reason} (log: {})", log.display())?;
                if !log_tail.is_empty() {
                    write!(f, "\n--- last lines of its log ---\n{log_tail}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Adds what-we-were-doing to an `io::Result`.
pub trait IoContext<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|source| Error::Io { context: what(), source })
    }
}
