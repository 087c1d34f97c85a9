#![no_main]
//! The JSON a Kubernetes API server answers a k8s: target's GET with.

libfuzzer_sys::fuzz_target!(|answer: &[u8]| waitfor::fuzzing::k8s_answer(answer));
