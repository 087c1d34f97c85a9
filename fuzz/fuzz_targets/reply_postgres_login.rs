#![no_main]
//! The bytes a PostgreSQL server sends the postgres:// probe that logs in
//! (SCRAM, md5, a cleartext password) and then asks whether a table exists.

libfuzzer_sys::fuzz_target!(|reply: &[u8]| {
    waitfor::fuzzing::reply(
        "postgres://app:{password}@127.0.0.1:{port}/app#table=public.schema_migrations",
        reply,
    )
});
