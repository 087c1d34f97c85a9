#![no_main]
//! The bytes a MySQL server sends the mysql:// probe that logs in to a
//! database and asks whether a table exists (the result set of COUNT(*)).

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply(
        "mysql://app:{password}@127.0.0.1:{port}/app#table=app.schema_migrations",
        reply,
    )
});
