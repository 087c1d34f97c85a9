#![no_main]
//! The bytes an HTTP server sends the http:// probe after its GET.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("http://127.0.0.1:{port}/health", reply)
});
