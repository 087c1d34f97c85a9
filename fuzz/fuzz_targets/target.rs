#![no_main]
//! What a user writes as a TARGET: parsed, or refused in one line without its password.

libfuzzer_sys::fuzz_target!(|text: &str| waitfor::fuzzing::target(text));
