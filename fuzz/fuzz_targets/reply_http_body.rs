#![no_main]
//! The bytes an HTTP server sends a probe that reads the body: a regular
//! expression to match and JSON values to find (chunked, cut, not JSON…).
//! The header value it sends is a secret: quoted back in the body, it is masked.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply(
        "http://127.0.0.1:{port}/health#header=X-Token:{password}&match=UP&json=/status=UP|OK&json=/checks/0",
        reply,
    )
});
