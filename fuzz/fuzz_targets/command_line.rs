#![no_main]
//! A whole command line after `waitfor`: options, help, or one usage line.

libfuzzer_sys::fuzz_target!(|args: Vec<String>| waitfor::fuzzing::command_line(&args));
