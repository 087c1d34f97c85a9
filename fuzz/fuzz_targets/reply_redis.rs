#![no_main]
//! The bytes a Redis server sends the redis:// probe after AUTH with a password.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("redis://app:{password}@127.0.0.1:{port}", reply)
});
