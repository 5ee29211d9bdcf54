//! The error every PID-1 duty returns: what was being done, to what, and the OS error.

use std::fmt;
use std::io;

#[derive(Debug)]
pub struct Pid1Error {
    /// What was tried, e.g. "mount /boot" or "load module vfat".
    pub action: String,
    pub source: io::Error,
}

impl Pid1Error {
    pub fn new(action: impl Into<String>, source: impl Into<io::Error>) -> Pid1Error {
        Pid1Error { action: action.into(), source: source.into() }
    }

    /// For failures that have no OS error behind them (bad data, timeouts).
    pub fn other(action: impl Into<String>, message: impl Into<String>) -> Pid1Error {
        Pid1Error { action: action.into(), source: io::Error::other(message.into()) }
    }
}

impl fmt::Display for Pid1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, self.source)
    }
}

impl std::error::Error for Pid1Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Adds the action to an `io::Result`.
pub trait Context<T> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, Pid1Error>;
}

impl<T, E: Into<io::Error>> Context<T> for Result<T, E> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, Pid1Error> {
        self.map_err(|err| Pid1Error::new(action(), err))
    }
}
