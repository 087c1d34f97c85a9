#![no_main]
//! What a user writes as a duration (`--timeout`, `WAITFOR_INTERVAL`).

libfuzzer_sys::fuzz_target!(|text: &str| waitfor::fuzzing::duration(text));
