#![no_main]
//! The bytes a server sends the grpc:// probe: HTTP/2 frames (SETTINGS, the
//! health check's HEADERS, DATA and trailers) or anything else.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("grpc://127.0.0.1:{port}/waitfor.Test", reply)
});
