//! Response heads, formatted into fixed buffers.

use std::io::Write;

/// A head always fits this; the largest is a stream part's or a status reply's.
pub const HEAD_MAX: usize = 512;

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// A response head under construction in a fixed buffer.
pub struct Head {
    buf: [u8; HEAD_MAX],
    len: usize,
}

impl Head {
    /// Starts `HTTP/1.1 <status> <reason>` with the headers every reply carries.
    pub fn new(status: u16) -> Head {
        let mut head = Head { buf: [0; HEAD_MAX], len: 0 };
        head.line(format_args!("HTTP/1.1 {status} {}", reason_phrase(status)));
        head.line(format_args!("Server: zerocam"));
        if crate::system::clock_reliable() {
            head.header("Date", httpdate::HttpDate::from(std::time::SystemTime::now()));
        }
        head
    }

    /// Adds one header line. A head that would overflow keeps what fits; heads are built
    /// from our own short values, so that would be a bug, and it is logged.
    pub fn line(&mut self, args: std::fmt::Arguments<'_>) -> &mut Head {
        let mut rest = &mut self.buf[self.len..];
        let before = rest.len();
        if rest.write_fmt(args).and_then(|_| rest.write_all(b"\r\n")).is_err() {
            log::error!("response head overflow");
            return self;
        }
        self.len += before - rest.len();
        self
    }

    pub fn header(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Head {
        self.line(format_args!("{name}: {value}"))
    }

    /// Ends the head; the body (if any) follows.
    pub fn finish(&mut self, keep_alive: bool) -> &[u8] {
        if !keep_alive {
            self.header("Connection", "close");
        }
        self.line(format_args!(""));
        &self.buf[..self.len]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_has_status_and_headers() {
        let mut head = Head::new(405);
        head.header("Allow", "GET, HEAD").header("Content-Length", 0);
        let text = std::str::from_utf8(head.finish(false)).expect("ascii");
        assert!(text.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(text.contains("\r\nAllow: GET, HEAD\r\n"));
        assert!(text.ends_with("Connection: close\r\n\r\n"));
    }

    #[test]
    fn overflow_is_cut_not_panicking() {
        let mut head = Head::new(200);
        let long = "x".repeat(HEAD_MAX);
        head.header("X-Long", &long);
        assert!(head.finish(true).len() <= HEAD_MAX);
    }
}
