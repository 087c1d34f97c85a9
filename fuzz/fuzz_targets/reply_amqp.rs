#![no_main]
//! The bytes an AMQP broker sends the amqp:// probe as it logs in and opens a vhost.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("amqp://app:{password}@127.0.0.1:{port}/app", reply)
});
