#![no_main]
//! The bytes a NATS server sends the nats:// probe logging in with a user and password.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("nats://app:{password}@127.0.0.1:{port}", reply)
});
