#![no_main]
//! The bytes a MongoDB server sends the mongodb:// probe (hello, then listCollections) asking for a collection.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("mongodb://127.0.0.1:{port}/shop#collection=orders", reply)
});
