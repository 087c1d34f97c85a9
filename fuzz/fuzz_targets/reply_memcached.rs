#![no_main]
//! The bytes a memcached server sends the memcached:// probe after `version`.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("memcached://127.0.0.1:{port}", reply)
});
