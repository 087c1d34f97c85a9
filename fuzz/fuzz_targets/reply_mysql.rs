#![no_main]
//! The bytes a MySQL server sends the mysql:// probe as it logs in with a password.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("mysql://app:{password}@127.0.0.1:{port}/app", reply)
});
