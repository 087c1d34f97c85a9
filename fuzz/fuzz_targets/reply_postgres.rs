#![no_main]
//! The bytes a PostgreSQL server sends the postgres:// probe.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("postgres://app@127.0.0.1:{port}/app", reply)
});
