//! Feeds arbitrary bytes to the HTTP request parser: it must never panic, and whatever it
//! accepts must be self-consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zerocam::http::request::{parse, MAX_TARGET};
use zerocam::http::routes::route;

fuzz_target!(|data: &[u8]| {
    for buffer_full in [false, true] {
        match parse(data, buffer_full) {
            Ok(Some(request)) => {
                assert!(request.head_len <= data.len());
                assert!(request.path.starts_with('/'));
                assert!(request.path.len() + request.query.len() <= MAX_TARGET);
                // Routing any accepted target must not panic either.
                let _ = route(request.path, request.query);
                // A complete head parses the same when followed by more bytes.
                let again = parse(&data[..request.head_len], false).ok().flatten();
                assert_eq!(again.map(|r| r.head_len), Some(request.head_len));
            }
            Ok(None) => assert!(!buffer_full, "a full buffer must give a verdict"),
            Err(error) => assert!((400..=505).contains(&error.status())),
        }
    }
});
