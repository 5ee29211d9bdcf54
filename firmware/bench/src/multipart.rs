//! Incremental parser for a `multipart/x-mixed-replace` body of JPEG parts.
//!
//! Bytes arrive in arbitrary slices from the socket, so every state survives a split anywhere:
//! inside the delimiter, a header line, or the body. Bodies are not copied: the parser counts
//! them off by Content-Length and only keeps their first and last two bytes, which must be the
//! JPEG SOI (FF D8) and EOI (FF D9) markers.

use std::fmt;

/// Longest delimiter or header line we accept before calling the stream garbage.
const MAX_LINE: usize = 1024;
/// More header lines than this in one part is garbage too.
const MAX_HEADERS: usize = 32;
/// A Content-Length beyond this is surely corrupt (a 1080p JPEG is well under 1 MiB).
const MAX_BODY: usize = 64 * 1024 * 1024;

const SOI: [u8; 2] = [0xFF, 0xD8];
const EOI: [u8; 2] = [0xFF, 0xD9];

/// One complete, well-formed part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub len: usize,
    /// X-Timestamp in microseconds since the epoch, when the part carried one.
    pub timestamp_us: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A line where "--boundary" was due said something else.
    BadDelimiter(String),
    LineTooLong,
    TooManyHeaders,
    MissingContentLength,
    BadContentLength(String),
    BadTimestamp(String),
    /// The body does not start with FF D8.
    NoSoi {
        first: [u8; 2],
    },
    /// The body does not end with FF D9.
    NoEoi {
        last: [u8; 2],
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::BadDelimiter(line) => write!(f, "expected boundary delimiter, got {line:?}"),
            ParseError::LineTooLong => write!(f, "part header line longer than {MAX_LINE} bytes"),
            ParseError::TooManyHeaders => write!(f, "more than {MAX_HEADERS} part headers"),
            ParseError::MissingContentLength => write!(f, "part without Content-Length"),
            ParseError::BadContentLength(v) => write!(f, "bad Content-Length {v:?}"),
            ParseError::BadTimestamp(v) => write!(f, "bad X-Timestamp {v:?}"),
            ParseError::NoSoi { first } => write!(f, "part starts {first:02X?}, not FF D8"),
            ParseError::NoEoi { last } => write!(f, "part ends {last:02X?}, not FF D9"),
        }
    }
}

#[derive(Debug)]
enum State {
    /// Between parts: blank lines (the CRLF after a body) are skipped, then "--boundary".
    Delimiter,
    /// Header lines of a part, up to the blank line.
    Headers { headers: usize, content_length: Option<usize>, timestamp_us: Option<i64> },
    /// Counting off the body.
    Body { len: usize, seen: usize, first: [u8; 2], last: [u8; 2], timestamp_us: Option<i64> },
    /// "--boundary--" was seen: the server ended the stream.
    Closed,
}

#[derive(Debug)]
pub struct MultipartParser {
    delimiter: Vec<u8>,
    state: State,
    line: Vec<u8>,
}

impl MultipartParser {
    /// `boundary` as given in the Content-Type header (without the leading "--").
    pub fn new(boundary: &str) -> Self {
        let mut delimiter = b"--".to_vec();
        delimiter.extend_from_slice(boundary.as_bytes());
        MultipartParser { delimiter, state: State::Delimiter, line: Vec::with_capacity(128) }
    }

    /// True once the closing delimiter has been seen.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Feeds the next bytes of the body; `on_part` is called for each part completed by them.
    /// After an error the stream is unusable (the framing is lost).
    pub fn feed(&mut self, mut data: &[u8], mut on_part: impl FnMut(Part)) -> Result<(), ParseError> {
        while !data.is_empty() {
            if let State::Body { len, seen, first, last, timestamp_us } = &mut self.state {
                let take = (*len - *seen).min(data.len());
                let chunk = &data[..take];
                for (i, &b) in chunk.iter().enumerate().take(2usize.saturating_sub(*seen)) {
                    first[*seen + i] = b;
                }
                match chunk {
                    [.., a, b] => *last = [*a, *b],
                    [b] => *last = [last[1], *b],
                    [] => {}
                }
                *seen += take;
                data = &data[take..];
                if *seen == *len {
                    let (len, first, last, timestamp_us) = (*len, *first, *last, *timestamp_us);
                    self.state = State::Delimiter;
                    if first != SOI {
                        return Err(ParseError::NoSoi { first });
                    }
                    if last != EOI {
                        return Err(ParseError::NoEoi { last });
                    }
                    on_part(Part { len, timestamp_us });
                }
                continue;
            }
            if matches!(self.state, State::Closed) {
                return Ok(());
            }
            // Line-oriented states: gather up to the next LF.
            match data.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.push_line(&data[..end])?;
                    data = &data[end + 1..];
                    let line = std::mem::take(&mut self.line);
                    let result = self.line_done(trim_line(&line));
                    self.line = line;
                    self.line.clear();
                    result?;
                }
                None => {
                    self.push_line(data)?;
                    data = &[];
                }
            }
        }
        Ok(())
    }

    fn push_line(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.line.len() + bytes.len() > MAX_LINE {
            return Err(ParseError::LineTooLong);
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn line_done(&mut self, line: &[u8]) -> Result<(), ParseError> {
        match &mut self.state {
            State::Delimiter => {
                if line.is_empty() {
                    return Ok(());
                }
                match line.strip_prefix(self.delimiter.as_slice()) {
                    Some(b"") => {
                        self.state = State::Headers { headers: 0, content_length: None, timestamp_us: None }
                    }
                    Some(b"--") => self.state = State::Closed,
                    _ => return Err(ParseError::BadDelimiter(lossy_prefix(line))),
                }
            }
            State::Headers { headers, content_length, timestamp_us } => {
                if line.is_empty() {
                    let len = content_length.ok_or(ParseError::MissingContentLength)?;
                    let timestamp_us = *timestamp_us;
                    self.state = State::Body { len, seen: 0, first: [0; 2], last: [0; 2], timestamp_us };
                    return Ok(());
                }
                *headers += 1;
                if *headers > MAX_HEADERS {
                    return Err(ParseError::TooManyHeaders);
                }
                let text = String::from_utf8_lossy(line);
                let Some((name, value)) = text.split_once(':') else { return Ok(()) };
                let (name, value) = (name.trim(), value.trim());
                if name.eq_ignore_ascii_case("content-length") {
                    let len = value.parse().ok().filter(|&n| n <= MAX_BODY);
                    *content_length = Some(len.ok_or_else(|| ParseError::BadContentLength(value.into()))?);
                } else if name.eq_ignore_ascii_case("x-timestamp") {
                    *timestamp_us = Some(
                        parse_timestamp_us(value).ok_or_else(|| ParseError::BadTimestamp(value.into()))?,
                    );
                }
            }
            State::Body { .. } | State::Closed => unreachable!("not a line state"),
        }
        Ok(())
    }
}

/// Drops the CR of CRLF and any transport padding (RFC 2046 allows trailing whitespace).
fn trim_line(line: &[u8]) -> &[u8] {
    let end = line.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
    &line[..end]
}

fn lossy_prefix(line: &[u8]) -> String {
    String::from_utf8_lossy(&line[..line.len().min(60)]).into_owned()
}

/// "1732567890.123456" (seconds since the epoch) to microseconds, without going through f64
/// so that no precision is lost.
pub fn parse_timestamp_us(text: &str) -> Option<i64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    if secs.is_empty()
        || !secs.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let mut micros = 0i64;
    for i in 0..6 {
        let digit = frac.as_bytes().get(i).map_or(0, |b| i64::from(b - b'0'));
        micros = micros * 10 + digit;
    }
    secs.checked_mul(1_000_000)?.checked_add(micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(boundary: &str, body: &[u8], stamp: &str) -> Vec<u8> {
        let mut out = format!(
            "--{boundary}\r\nContent-Type: image/jpeg\r\nContent-Length: {}\r\nX-Timestamp: {stamp}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\r\n");
        out
    }

    fn jpeg(n: usize) -> Vec<u8> {
        let mut body = vec![0xFF, 0xD8];
        body.extend((0..n).map(|i| (i % 251) as u8));
        body.extend_from_slice(&[0xFF, 0xD9]);
        body
    }

    fn parse_in_chunks(
        parser: &mut MultipartParser,
        stream: &[u8],
        chunk: usize,
    ) -> Result<Vec<Part>, ParseError> {
        let mut parts = Vec::new();
        for piece in stream.chunks(chunk) {
            parser.feed(piece, |p| parts.push(p))?;
        }
        Ok(parts)
    }

    #[test]
    fn parts_split_at_every_size() {
        let mut stream = part("FRAME", &jpeg(300), "1732567890.123456");
        stream.extend(part("FRAME", &jpeg(0), "1732567890.163456"));
        stream.extend(part("FRAME", &jpeg(1), "1732567890.2"));
        // Chunk sizes 1..=stream length cover a split at every byte, including inside the
        // delimiter, a header name, the CRLF pairs and the two-byte JPEG markers.
        for chunk in 1..=stream.len() {
            let mut parser = MultipartParser::new("FRAME");
            let parts = parse_in_chunks(&mut parser, &stream, chunk).expect("valid stream");
            assert_eq!(
                parts,
                vec![
                    Part { len: 304, timestamp_us: Some(1_732_567_890_123_456) },
                    Part { len: 4, timestamp_us: Some(1_732_567_890_163_456) },
                    Part { len: 5, timestamp_us: Some(1_732_567_890_200_000) },
                ],
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn boundary_comes_from_the_header_not_a_constant() {
        let boundary =
            crate::http::boundary_from_content_type("multipart/x-mixed-replace;boundary=\"zc-7f3a\"")
                .expect("boundary");
        // A leading CRLF before the first delimiter is legal (RFC 2046 preamble/CRLF).
        let mut stream = b"\r\n".to_vec();
        stream.extend(part(&boundary, &jpeg(10), "1.000001"));
        stream.extend_from_slice(b"--zc-7f3a--\r\n");
        let mut parser = MultipartParser::new(&boundary);
        let parts = parse_in_chunks(&mut parser, &stream, 7).expect("valid stream");
        assert_eq!(parts, vec![Part { len: 14, timestamp_us: Some(1_000_001) }]);
        assert!(parser.is_closed());

        // The same bytes under the seed server's boundary are rejected.
        let mut wrong = MultipartParser::new("FRAME");
        assert!(matches!(parse_in_chunks(&mut wrong, &stream, 7), Err(ParseError::BadDelimiter(_))));
    }

    #[test]
    fn bad_parts_are_errors() {
        let mut bad_start = jpeg(8);
        bad_start[1] = 0x00;
        let mut parser = MultipartParser::new("b");
        let err = parse_in_chunks(&mut parser, &part("b", &bad_start, "1.0"), 3).unwrap_err();
        assert_eq!(err, ParseError::NoSoi { first: [0xFF, 0x00] });

        let mut truncated = jpeg(8);
        truncated.pop();
        let mut parser = MultipartParser::new("b");
        let err = parse_in_chunks(&mut parser, &part("b", &truncated, "1.0"), 5).unwrap_err();
        assert!(matches!(err, ParseError::NoEoi { .. }));

        let mut parser = MultipartParser::new("b");
        let no_len = b"--b\r\nContent-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\xD9\r\n";
        assert_eq!(parse_in_chunks(&mut parser, no_len, 4), Err(ParseError::MissingContentLength));

        let mut parser = MultipartParser::new("b");
        let bad_stamp = b"--b\r\nContent-Length: 4\r\nX-Timestamp: soon\r\n\r\n";
        assert!(matches!(parse_in_chunks(&mut parser, bad_stamp, 64), Err(ParseError::BadTimestamp(_))));
    }

    #[test]
    fn part_without_timestamp_still_counts() {
        let stream = b"--b\r\nContent-Length: 4\r\n\r\n\xFF\xD8\xFF\xD9\r\n";
        let mut parser = MultipartParser::new("b");
        let parts = parse_in_chunks(&mut parser, stream, 64).expect("valid stream");
        assert_eq!(parts, vec![Part { len: 4, timestamp_us: None }]);
    }

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp_us("1732567890.123456"), Some(1_732_567_890_123_456));
        assert_eq!(parse_timestamp_us("5"), Some(5_000_000));
        assert_eq!(parse_timestamp_us("5.1234567"), Some(5_123_456));
        assert_eq!(parse_timestamp_us("-5.0"), None);
        assert_eq!(parse_timestamp_us(".5"), None);
        assert_eq!(parse_timestamp_us("5.x"), None);
    }
}
