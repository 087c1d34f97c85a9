#![no_main]
//! The bytes a nameserver answers the dns:// probe's query with.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| waitfor::fuzzing::dns_answer(reply));
