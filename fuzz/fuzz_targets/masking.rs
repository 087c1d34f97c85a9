#![no_main]
//! Any line waitfor might write, with secrets in it in any form: masked, it shows none of them.

libfuzzer_sys::fuzz_target!(|text: &str| waitfor::fuzzing::masking(text));
