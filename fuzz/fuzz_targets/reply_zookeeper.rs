#![no_main]
//! The bytes a ZooKeeper server sends the zookeeper:// probe after `srvr`, then closes.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("zookeeper://127.0.0.1:{port}", reply)
});
