use super::*;

fn complete(text: &str) -> Request<'_> {
    parse(text.as_bytes(), false).expect("valid").expect("complete")
}

#[test]
fn simple_get() {
    let req = complete("GET /stream.mjpg HTTP/1.1\r\nHost: cam\r\n\r\n");
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.path, "/stream.mjpg");
    assert_eq!(req.query, "");
    assert!(req.keep_alive);
    assert_eq!(req.head_len, 40);
}

#[test]
fn query_and_http10_and_connection_headers() {
    let req = complete("HEAD /?action=stream&x HTTP/1.0\nConnection: keep-alive\n\n");
    assert_eq!(req.method, Method::Head);
    assert_eq!((req.path, req.query), ("/", "action=stream&x"));
    assert!(req.keep_alive);
    assert_eq!(query_value(req.query, "action"), Some("stream"));
    assert_eq!(query_value(req.query, "x"), Some(""));
    assert_eq!(query_value(req.query, "y"), None);
    let req = complete("GET / HTTP/1.1\r\nHost: cam\r\nConnection: Upgrade, close\r\n\r\n");
    assert!(!req.keep_alive);
}

#[test]
fn incomplete_heads_ask_for_more() {
    for partial in ["", "GET", "GET / HTTP/1.1\r\n", "GET / HTTP/1.1\r\nHost: x\r\n", "GET / HTTP/1.1\r\n\r"]
    {
        assert_eq!(parse(partial.as_bytes(), false).map(|r| r.is_some()), Ok(false), "{partial:?}");
    }
}

#[test]
fn malformed_heads_are_400() {
    for bad in [
        "GET\r\n\r\n",
        "GET /\r\n\r\n",
        "GET / HTTP/1.1 extra\r\n\r\n",
        "GET nopath HTTP/1.1\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n",
        "GET / HTTQ/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n",
        "GET / HTTP/1.1\r\n folded: x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n",
        "GET /a\x7fb HTTP/1.1\r\n\r\n",
    ] {
        let err = parse(bad.as_bytes(), false).expect_err(bad);
        assert_eq!(err.status(), 400, "{bad:?}");
    }
}

#[test]
fn size_limits() {
    let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET));
    assert_eq!(parse(long_target.as_bytes(), false).map(|_| ()), Err(ParseError::UriTooLong));
    let long_line_unfinished = format!("GET /{}", "a".repeat(MAX_TARGET + 100));
    assert_eq!(parse(long_line_unfinished.as_bytes(), false).map(|_| ()), Err(ParseError::UriTooLong));
    let many = format!("GET / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(MAX_HEADERS + 1));
    assert_eq!(parse(many.as_bytes(), false).map(|_| ()), Err(ParseError::HeadersTooLarge));
    let unfinished = "GET / HTTP/1.1\r\nCookie: aaaaaaaa";
    assert_eq!(parse(unfinished.as_bytes(), true).map(|_| ()), Err(ParseError::HeadersTooLarge));
}

#[test]
fn versions_and_bodies() {
    assert_eq!(parse(b"GET / HTTP/2.0\r\n\r\n", false).map(|_| ()), Err(ParseError::VersionNotSupported));
    let chunked = b"POST /api/reboot HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(parse(chunked, false).map(|_| ()), Err(ParseError::BodyNotSupported));
    let req = complete(
        "POST /api/reboot HTTP/1.1\r\nHost: c\r\nAuthorization: Bearer abc\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.authorization, Some("Bearer abc"));
    assert_eq!(complete("BREW / HTTP/1.1\r\nHost: c\r\n\r\n").method, Method::Other);
}

#[test]
fn leading_blank_lines_and_pipelining() {
    let text = "\r\nGET /a HTTP/1.1\r\nHost: c\r\n\r\nGET /b HTTP/1.1\r\nHost: c\r\n\r\n";
    let first = complete(text);
    assert_eq!(first.path, "/a");
    let second = complete(&text[first.head_len..]);
    assert_eq!(second.path, "/b");
}

#[test]
fn host_is_required_once_in_http11() {
    for bad in [
        "GET / HTTP/1.1\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
    ] {
        assert_eq!(parse(bad.as_bytes(), false).map(|_| ()).map_err(ParseError::status), Err(400), "{bad:?}");
    }
    // HTTP/1.0 may omit it; an empty one is allowed.
    assert_eq!(complete("GET / HTTP/1.0\r\n\r\n").path, "/");
    assert_eq!(complete("GET / HTTP/1.1\r\nHost:\r\n\r\n").path, "/");
}

#[test]
fn absolute_form_targets_are_served_by_their_path() {
    let req = complete("GET http://cam.local:8080/stream.mjpg?x=1 HTTP/1.1\r\nHost: cam.local\r\n\r\n");
    assert_eq!((req.path, req.query), ("/stream.mjpg", "x=1"));
    assert_eq!(complete("GET HTTP://cam HTTP/1.1\r\nHost: cam\r\n\r\n").path, "/");
    let req = complete("GET http://cam?action=snapshot HTTP/1.1\r\nHost: cam\r\n\r\n");
    assert_eq!((req.path, req.query), ("/", "action=snapshot"));
    assert!(parse(b"GET ftp://cam/ HTTP/1.1\r\nHost: c\r\n\r\n", false).is_err());
}

#[test]
fn options_star_and_expect() {
    let req = complete("OPTIONS * HTTP/1.1\r\nHost: c\r\n\r\n");
    assert_eq!((req.method, req.path), (Method::Options, "*"));
    assert!(parse(b"GET * HTTP/1.1\r\nHost: c\r\n\r\n", false).is_err(), "* is only for OPTIONS");
    let req =
        complete("POST /api/reboot HTTP/1.1\r\nHost: c\r\nExpect: 100-Continue\r\nContent-Length: 4\r\n\r\n");
    assert!(req.expect_continue);
    let odd = b"POST / HTTP/1.1\r\nHost: c\r\nExpect: tea\r\n\r\n";
    assert_eq!(parse(odd, false).map(|_| ()), Err(ParseError::ExpectationFailed));
}
