#![no_main]
//! The bytes a Kafka broker sends the kafka:// probe (ApiVersions, then Metadata) asking for a topic.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("kafka://127.0.0.1:{port}#topic=orders", reply)
});
