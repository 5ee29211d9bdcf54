//! The HTTP side of a stream: the request we send and the response head we expect back.
//! Only what a multipart stream needs is parsed; anything else is reported as an error.

use std::fmt;

/// Response heads longer than this are treated as garbage rather than buffered forever.
pub const MAX_HEAD: usize = 16 * 1024;

/// The GET for one stream client.
pub fn stream_request(host: &str, path: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: zerocam-bench\r\nAccept: */*\r\n\
         Connection: keep-alive\r\n\r\n"
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub status: u16,
    /// The multipart boundary, without the leading "--".
    pub boundary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    TooLong,
    BadStatusLine(String),
    Status(u16),
    NotMultipart(String),
    NoBoundary(String),
    /// Chunked framing would interleave chunk sizes with the parts; the servers we compare
    /// send the multipart body raw (close-delimited), so this is reported, not decoded.
    Chunked,
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::TooLong => write!(f, "response head longer than {MAX_HEAD} bytes"),
            HeadError::BadStatusLine(line) => write!(f, "bad status line {line:?}"),
            HeadError::Status(code) => write!(f, "HTTP status {code}"),
            HeadError::NotMultipart(ct) => write!(f, "Content-Type {ct:?} is not multipart"),
            HeadError::NoBoundary(ct) => write!(f, "no boundary in Content-Type {ct:?}"),
            HeadError::Chunked => write!(f, "chunked Transfer-Encoding is not supported"),
        }
    }
}

/// Length of the response head including its blank line, once `buf` holds all of it.
pub fn head_len(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// Parses a complete response head (as delimited by [`head_len`]).
pub fn parse_head(head: &[u8]) -> Result<ResponseHead, HeadError> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut words = status_line.split_ascii_whitespace();
    let status = match (words.next(), words.next()) {
        (Some(version), Some(code)) if version.starts_with("HTTP/1.") => {
            code.parse().map_err(|_| HeadError::BadStatusLine(status_line.to_owned()))?
        }
        _ => return Err(HeadError::BadStatusLine(status_line.to_owned())),
    };
    if status != 200 {
        return Err(HeadError::Status(status));
    }
    let mut content_type = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked") {
            return Err(HeadError::Chunked);
        }
    }
    let content_type = content_type.unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("multipart/") {
        return Err(HeadError::NotMultipart(content_type));
    }
    let boundary = boundary_from_content_type(&content_type).ok_or(HeadError::NoBoundary(content_type))?;
    Ok(ResponseHead { status, boundary })
}

/// The `boundary` parameter of a Content-Type value (RFC 2046), quotes removed.
pub fn boundary_from_content_type(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        if !name.trim().eq_ignore_ascii_case("boundary") {
            return None;
        }
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
        (!value.is_empty()).then(|| value.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_plain_quoted_and_case() {
        let b = |ct| boundary_from_content_type(ct);
        assert_eq!(b("multipart/x-mixed-replace; boundary=FRAME").as_deref(), Some("FRAME"));
        assert_eq!(b("multipart/x-mixed-replace;Boundary=\"zc 42\"").as_deref(), Some("zc 42"));
        assert_eq!(b("multipart/x-mixed-replace; charset=x; boundary=b1").as_deref(), Some("b1"));
        assert_eq!(b("multipart/x-mixed-replace"), None);
        assert_eq!(b("multipart/x-mixed-replace; boundary="), None);
    }

    #[test]
    fn head_of_seed_server() {
        let raw = b"HTTP/1.0 200 OK\r\nServer: x\r\nAge: 0\r\n\
                    Content-Type: multipart/x-mixed-replace; boundary=FRAME\r\n\r\n--FRAME";
        let len = head_len(raw).expect("complete head");
        assert_eq!(&raw[len..], b"--FRAME");
        let head = parse_head(&raw[..len]).expect("valid head");
        assert_eq!(head, ResponseHead { status: 200, boundary: "FRAME".into() });
    }

    #[test]
    fn head_errors() {
        assert_eq!(parse_head(b"HTTP/1.1 503 Busy\r\n\r\n"), Err(HeadError::Status(503)));
        assert!(matches!(parse_head(b"hello\r\n\r\n"), Err(HeadError::BadStatusLine(_))));
        assert!(matches!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n\r\n"),
            Err(HeadError::NotMultipart(_))
        ));
        assert_eq!(
            parse_head(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\
                  Content-Type: multipart/x-mixed-replace; boundary=a\r\n\r\n"
            ),
            Err(HeadError::Chunked)
        );
    }
}
