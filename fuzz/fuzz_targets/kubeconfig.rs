#![no_main]
//! The text of a kubeconfig file, read as k8s: targets read one.

libfuzzer_sys::fuzz_target!(|text: &[u8]| waitfor::fuzzing::kubeconfig(text));
