//! The request parser: request line and headers, read in place from the connection's fixed
//! buffer. Only what a camera needs is kept; everything is borrowed, nothing allocated.

/// Headers beyond this count get 431, like a head that does not fit the buffer.
pub const MAX_HEADERS: usize = 32;
/// A request target longer than this gets 414.
pub const MAX_TARGET: usize = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    /// Answered with the methods a resource allows (`OPTIONS *`: the server's).
    Options,
    /// Any other token; answered with 405 (and the allowed methods).
    Other,
}

impl Method {
    fn from_token(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"OPTIONS" => Method::Options,
            _ => Method::Other,
        }
    }
}

/// A parsed request head. `path` and `query` come from the target, split at '?'; an
/// absolute-form target (`http://host/path`, as proxies send) is reduced to its path, and
/// `OPTIONS *` has the path `*`.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub query: &'a str,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    /// Whether the connection may serve another request after this one.
    pub keep_alive: bool,
    /// Declared body length (we read and discard bodies up to a small limit).
    pub content_length: usize,
    /// The `Authorization` header's value, if any.
    pub authorization: Option<&'a str>,
    /// `Expect: 100-continue`: the client waits for a 100 before it sends the body.
    pub expect_continue: bool,
    /// How many `Host` header lines came (HTTP/1.1 needs exactly one).
    host_lines: u8,
    /// Length of the head in the buffer, including the blank line.
    pub head_len: usize,
}

/// Why a head cannot be served; each maps to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// 400: not HTTP/1.x syntax.
    Malformed(&'static str),
    /// 414: the request target is longer than MAX_TARGET.
    UriTooLong,
    /// 431: too many headers or a head larger than the buffer.
    HeadersTooLarge,
    /// 505: HTTP/2 or other major versions.
    VersionNotSupported,
    /// 501: a request body sent with chunked transfer coding.
    BodyNotSupported,
    /// 417: an `Expect` other than 100-continue.
    ExpectationFailed,
}

impl ParseError {
    pub fn status(self) -> u16 {
        match self {
            ParseError::Malformed(_) => 400,
            ParseError::UriTooLong => 414,
            ParseError::HeadersTooLarge => 431,
            ParseError::VersionNotSupported => 505,
            ParseError::BodyNotSupported => 501,
            ParseError::ExpectationFailed => 417,
        }
    }

    pub fn reason(self) -> &'static str {
        match self {
            ParseError::Malformed(why) => why,
            ParseError::UriTooLong => "request target too long",
            ParseError::HeadersTooLarge => "request head too large",
            ParseError::VersionNotSupported => "only HTTP/1.0 and HTTP/1.1 are served",
            ParseError::BodyNotSupported => "chunked request bodies are not supported",
            ParseError::ExpectationFailed => "only Expect: 100-continue is understood",
        }
    }
}

/// Parses the head at the start of `buf`. `Ok(None)` means "not complete yet: read more";
/// `buf_full` tells whether the buffer can take no more bytes, in which case an incomplete
/// head is an error (414 if still in the request line, 431 otherwise).
pub fn parse(buf: &[u8], buf_full: bool) -> Result<Option<Request<'_>>, ParseError> {
    // Tolerate empty lines before the request line (RFC 9112 section 2.2).
    let start = buf.iter().position(|&b| b != b'\r' && b != b'\n').unwrap_or(buf.len());
    let buf_from_start = &buf[start..];
    let Some(line_end) = find_line_end(buf_from_start) else {
        return incomplete(buf_from_start.len() > MAX_TARGET + 32 || buf_full, ParseError::UriTooLong);
    };
    let (method, target, minor_version) = parse_request_line(&buf_from_start[..line_end])?;
    let target = origin_form(target);
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, query),
        None => (target, ""),
    };
    let path = if path.is_empty() { "/" } else { path };
    let mut request = Request {
        method,
        path,
        query,
        minor_version,
        keep_alive: minor_version == 1,
        content_length: 0,
        authorization: None,
        expect_continue: false,
        host_lines: 0,
        head_len: 0,
    };
    let mut at = start + line_end + line_break_len(&buf[start + line_end..]);
    let mut headers = 0;
    loop {
        let rest = &buf[at..];
        let Some(end) = find_line_end(rest) else {
            return incomplete(buf_full, ParseError::HeadersTooLarge);
        };
        let line = &rest[..end];
        at += end + line_break_len(&rest[end..]);
        if line.is_empty() {
            request.head_len = at;
            // RFC 9112 section 3.2: exactly one Host in HTTP/1.1 (HTTP/1.0 may omit it).
            if request.host_lines > 1 {
                return Err(ParseError::Malformed("more than one Host header"));
            }
            if request.host_lines == 0 && minor_version == 1 {
                return Err(ParseError::Malformed("HTTP/1.1 request without a Host header"));
            }
            return Ok(Some(request));
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Err(ParseError::HeadersTooLarge);
        }
        apply_header(&mut request, line)?;
    }
}

fn incomplete<T>(full: bool, error: ParseError) -> Result<Option<T>, ParseError> {
    if full {
        Err(error)
    } else {
        Ok(None)
    }
}

/// Index of the line's end (the CR of CRLF, or a bare LF); None if no LF yet.
fn find_line_end(buf: &[u8]) -> Option<usize> {
    let lf = buf.iter().position(|&b| b == b'\n')?;
    Some(if lf > 0 && buf[lf - 1] == b'\r' { lf - 1 } else { lf })
}

fn line_break_len(at_break: &[u8]) -> usize {
    if at_break.first() == Some(&b'\r') {
        2
    } else {
        1
    }
}

fn parse_request_line(line: &[u8]) -> Result<(Method, &str, u8), ParseError> {
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::Malformed("bad request line"));
    };
    if method.is_empty() || !method.iter().all(|&b| is_token_char(b)) {
        return Err(ParseError::Malformed("bad method"));
    }
    if target.len() > MAX_TARGET {
        return Err(ParseError::UriTooLong);
    }
    // Origin form, absolute form (reduced to origin form by the caller), or "*" for OPTIONS.
    let method = Method::from_token(method);
    let form_ok = match target {
        b"*" => method == Method::Options,
        _ => target.first() == Some(&b'/') || is_absolute_form(target),
    };
    if !form_ok || !target.iter().all(|&b| b.is_ascii_graphic()) {
        return Err(ParseError::Malformed("bad request target"));
    }
    let minor_version = match version {
        b"HTTP/1.1" => 1,
        b"HTTP/1.0" => 0,
        v if v.starts_with(b"HTTP/") && v.len() >= 6 && v[5].is_ascii_digit() => {
            return Err(ParseError::VersionNotSupported)
        }
        _ => return Err(ParseError::Malformed("bad HTTP version")),
    };
    // Graphic ASCII only, checked above, so this cannot fail; mapped rather than unwrapped.
    let target = std::str::from_utf8(target).map_err(|_| ParseError::Malformed("bad request target"))?;
    Ok((method, target, minor_version))
}

fn is_absolute_form(target: &[u8]) -> bool {
    let lower =
        |prefix: &[u8]| target.len() > prefix.len() && target[..prefix.len()].eq_ignore_ascii_case(prefix);
    lower(b"http://") || lower(b"https://")
}

/// `http://host:port/path?q` -> `/path?q` (RFC 9112 section 3.2.2: the server takes the
/// target's path and ignores the authority for routing); anything else is returned as is.
fn origin_form(target: &str) -> &str {
    let Some((_, rest)) = target.split_once("://").filter(|_| is_absolute_form(target.as_bytes())) else {
        return target;
    };
    // No path at all ("http://h" or "http://h?x") leaves an empty path, which is the root.
    rest.find(['/', '?']).map_or("", |at| &rest[at..])
}

fn apply_header<'a>(request: &mut Request<'a>, line: &'a [u8]) -> Result<(), ParseError> {
    let colon =
        line.iter().position(|&b| b == b':').ok_or(ParseError::Malformed("header line without a colon"))?;
    let name = &line[..colon];
    if name.is_empty() || !name.iter().all(|&b| is_token_char(b)) {
        // Also refuses obsolete line folding (a line starting with white space).
        return Err(ParseError::Malformed("bad header name"));
    }
    let value = trim(&line[colon + 1..]);
    if value.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f) {
        return Err(ParseError::Malformed("control character in header value"));
    }
    if name.eq_ignore_ascii_case(b"connection") {
        for option in value.split(|&b| b == b',').map(trim) {
            if option.eq_ignore_ascii_case(b"close") {
                request.keep_alive = false;
            } else if option.eq_ignore_ascii_case(b"keep-alive") {
                request.keep_alive = true;
            }
        }
    } else if name.eq_ignore_ascii_case(b"content-length") {
        let length = parse_decimal(value).ok_or(ParseError::Malformed("bad Content-Length"))?;
        if request.content_length != 0 && request.content_length != length {
            return Err(ParseError::Malformed("conflicting Content-Length headers"));
        }
        request.content_length = length;
    } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
        return Err(ParseError::BodyNotSupported);
    } else if name.eq_ignore_ascii_case(b"authorization") {
        request.authorization = std::str::from_utf8(value).ok();
    } else if name.eq_ignore_ascii_case(b"host") {
        request.host_lines = request.host_lines.saturating_add(1);
        // Any one name is served (an empty one too, RFC 9112 section 3.2), but not junk.
        if !value.iter().all(|&b| b.is_ascii_graphic()) {
            return Err(ParseError::Malformed("bad Host header"));
        }
    } else if name.eq_ignore_ascii_case(b"expect") {
        if !value.eq_ignore_ascii_case(b"100-continue") {
            return Err(ParseError::ExpectationFailed);
        }
        request.expect_continue = true;
    }
    Ok(())
}

fn parse_decimal(digits: &[u8]) -> Option<usize> {
    if digits.is_empty() || digits.len() > 12 {
        return None;
    }
    digits.iter().try_fold(0usize, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + usize::from(d - b'0')))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| *b == b' ' || *b == b'\t';
    let start = bytes.iter().position(|b| !is_space(b)).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// RFC 9110 token characters.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// The value of `key` in a query string such as `action=stream&x=1`.
pub fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| match pair.split_once('=') {
        Some((k, v)) if k == key => Some(v),
        None if pair == key => Some(""),
        _ => None,
    })
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
