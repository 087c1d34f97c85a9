#![no_main]
//! The bytes a server sends the https:// probe's TLS handshake: rustls reads them, waitfor says why it failed.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("https://localhost:{port}/health", reply)
});
