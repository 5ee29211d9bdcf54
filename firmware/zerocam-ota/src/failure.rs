//! What went wrong, for the user, and the exit status that goes with it.

#[derive(Debug)]
pub struct Failure {
    pub message: String,
    /// 1: the operation failed (refused, rolled back, unreachable); 2: bad usage.
    pub code: u8,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into(), code: 1 }
    }
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::new(message)
    }
}
