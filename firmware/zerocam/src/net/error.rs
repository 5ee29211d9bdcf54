//! The error every network service returns: what was being done (on which interface or to
//! which server) and the OS error behind it. Same shape as PID 1's, kept apart so `net`
//! does not depend on `pid1`.

use std::fmt;
use std::io;

#[derive(Debug)]
pub struct NetError {
    /// What was tried, e.g. "dhcp on usb0" or "set 192.168.7.1/24 on usb0".
    pub action: String,
    pub source: io::Error,
}

impl NetError {
    pub fn new(action: impl Into<String>, source: impl Into<io::Error>) -> NetError {
        NetError { action: action.into(), source: source.into() }
    }

    /// For failures that have no OS error behind them (bad data, timeouts).
    pub fn other(action: impl Into<String>, message: impl Into<String>) -> NetError {
        NetError { action: action.into(), source: io::Error::other(message.into()) }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.action, self.source)
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Adds the action to an `io::Result`.
pub trait Context<T> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, NetError>;
}

impl<T, E: Into<io::Error>> Context<T> for Result<T, E> {
    fn context(self, action: impl FnOnce() -> String) -> Result<T, NetError> {
        self.map_err(|err| NetError::new(action(), err))
    }
}
