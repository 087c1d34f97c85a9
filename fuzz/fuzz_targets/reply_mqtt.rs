#![no_main]
//! The bytes an MQTT broker sends the mqtt:// probe after CONNECT.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply("mqtt://127.0.0.1:{port}", reply)
});
