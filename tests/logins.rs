//! Real logins: with a password in the URL, the postgres:// probe logs in as
//! the app would (SCRAM-SHA-256, md5, a cleartext password, whichever
//! pg_hba asks for) and the mysql:// probe logs in to the URL's database;
//! `#table=` waits until the migrations have made the table. Against
//! PostgreSQL and MariaDB configured by the test.

mod common;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use common::servers::{
    POSTGRES_BIN, Service, mariadb_datadir, postgres_cluster, postgres_ids, start_mariadb,
    start_postgres,
};
use common::*;

/// Runs SQL as the superuser over the cluster's unix socket.
fn sql(data: &Path, port: u16, database: &str, statement: &str) {
    let (uid, gid) = postgres_ids();
    run_ok(
        Command::new(format!("{POSTGRES_BIN}/psql"))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(data)
            .args([
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-c",
                statement,
            ])
            .uid(uid)
            .gid(gid),
    );
}

/// A PostgreSQL cluster with `pg_hba`, started and accepting connections.
fn postgres(dir: &Path, pg_hba: &str) -> (Service, std::path::PathBuf, u16) {
    let port = free_port();
    let data = postgres_cluster(dir);
    fs::write(data.join("pg_hba.conf"), pg_hba).unwrap();
    let server = start_postgres(dir, &data, port);
    let up = run_within(
        waitfor().args(["-q", "-t", "60", &format!("postgres://127.0.0.1:{port}")]),
        secs(90.0),
    );
    assert_eq!(up.code(), 0, "{up:?}: {}", server.log_tail());
    (server, data, port)
}

/// A MariaDB server, started and accepting connections, and a way to run
/// SQL as root over its socket.
fn mariadb(dir: &Path) -> (Service, u16, impl Fn(&str) -> String) {
    let port = free_port();
    let data = mariadb_datadir(dir);
    let server = start_mariadb(dir, &data, port);
    let socket = dir.join("mariadb.sock");
    let admin = move |sql: &str| {
        run_ok(
            Command::new("mariadb")
                .arg(format!("--socket={}", socket.display()))
                .args(["-u", "root", "-N", "-B", "-e", sql]),
        )
    };
    let up = run_within(
        waitfor().args(["-q", "-t", "60", &format!("mysql://127.0.0.1:{port}")]),
        secs(90.0),
    );
    assert_eq!(up.code(), 0, "{up:?}: {}", server.log_tail());
    (server, port, admin)
}

#[test]
fn postgres_logins_and_a_table_that_appears() {
    let dir = TempDir::new("logins");
    let (server, data, port) = postgres(
        &dir.0,
        "local all all trust\n\
         host all md5user 127.0.0.1/32 md5\n\
         host all plainuser 127.0.0.1/32 password\n\
         host all all 127.0.0.1/32 scram-sha-256\n",
    );
    sql(
        &data,
        port,
        "postgres",
        "CREATE ROLE app LOGIN PASSWORD 'scram-Secret-1'",
    );
    sql(&data, port, "postgres", "CREATE DATABASE appdb OWNER app");
    sql(
        &data,
        port,
        "postgres",
        "SET password_encryption = 'md5'; CREATE ROLE md5user LOGIN PASSWORD 'md5-Secret-2'",
    );
    sql(
        &data,
        port,
        "postgres",
        "CREATE ROLE plainuser LOGIN PASSWORD 'plain-Secret-3'",
    );

    let at = |userinfo: &str, rest: &str| format!("postgres://{userinfo}@127.0.0.1:{port}/{rest}");
    let mut waiting = Running::spawn(
        waitfor()
            .args(["-v", "-t", "60"])
            .arg(at(
                "app:scram-Secret-1",
                "appdb#table=public.schema_migrations",
            ))
            .arg(at("md5user:md5-Secret-2", "postgres"))
            .arg(at("plainuser:plain-Secret-3", "postgres"))
            .args(["--", "echo", "migrated"]),
    );
    waiting.wait_for_line(
        "table public.schema_migrations does not exist yet",
        secs(30.0),
    );
    assert!(
        waiting.saw_line("md5user:***@", secs(10.0)),
        "{}",
        waiting.last_lines()
    );
    sql(
        &data,
        port,
        "appdb",
        "CREATE TABLE schema_migrations (version bigint)",
    );
    let status = waiting.wait(secs(30.0));
    assert!(status.success(), "{}", waiting.last_lines());
    for secret in ["scram-Secret-1", "md5-Secret-2", "plain-Secret-3"] {
        assert!(
            waiting.seen.iter().all(|line| !line.contains(secret)),
            "a password was shown"
        );
    }

    // A wrong password, a database that is not there: not ready, and said so.
    let refused = run_within(
        waitfor()
            .args(["-t", "2"])
            .arg(at("app:wrong-Secret-9", "appdb"))
            .arg(at("app:scram-Secret-1", "nodb")),
        secs(30.0),
    );
    assert_eq!(refused.code(), 124, "{refused:?}");
    refused
        .says("authentication failed for user app")
        .says(&format!(
            "postgres://app:***@127.0.0.1:{port}/nodb is not ready"
        ))
        .says("database \"nodb\" does not exist")
        .never_says("wrong-Secret-9")
        .never_says("scram-Secret-1");
    // Every session ended as a client's does: no "unexpected EOF" in the server's log.
    let log = fs::read_to_string(&server.log).unwrap();
    assert!(!log.contains("unexpected EOF"), "{log}");
    // Asking for a table that is not there yet (Parse, Bind, Execute) is no error to the server.
    assert!(!log.contains("ERROR:"), "{log}");
    // A table without a login is refused before waiting.
    let no_login = run_within(
        waitfor().arg(format!("postgres://app@127.0.0.1:{port}/appdb#table=t")),
        secs(10.0),
    );
    assert_eq!(no_login.code(), 2, "{no_login:?}");
    no_login.says("#table needs a login");
}

#[test]
fn mariadb_logins_a_database_and_a_table_that_appears() {
    let dir = TempDir::new("logins-mariadb");
    let (server, port, admin) = mariadb(&dir.0);
    admin(
        "CREATE DATABASE appdb; CREATE USER app@'%' IDENTIFIED BY 'maria-Secret-4'; GRANT ALL ON appdb.* TO app@'%'",
    );
    let at = |userinfo: &str, rest: &str| format!("mysql://{userinfo}@127.0.0.1:{port}/{rest}");
    let mut waiting = Running::spawn(
        waitfor()
            .args(["-v", "-t", "60"])
            .arg(at("app:maria-Secret-4", "appdb#table=schema_migrations"))
            .arg(at("app:maria-Secret-4", "appdb#table=appdb.users"))
            .args(["--", "echo", "migrated"]),
    );
    waiting.wait_for_line("table schema_migrations does not exist yet", secs(30.0));
    waiting.wait_for_line("table appdb.users does not exist yet", secs(30.0));
    admin(
        "CREATE TABLE appdb.schema_migrations (version BIGINT); CREATE TABLE appdb.users (id INT)",
    );
    let status = waiting.wait(secs(30.0));
    assert!(status.success(), "{}", waiting.last_lines());
    assert!(
        waiting
            .seen
            .iter()
            .all(|line| !line.contains("maria-Secret-4"))
    );
    let refused = run_within(
        waitfor()
            .args(["-t", "2"])
            .arg(at("app:wrong-Secret-8", "appdb"))
            .arg(at("app:maria-Secret-4", "nodb")),
        secs(30.0),
    );
    assert_eq!(refused.code(), 124, "{refused:?}");
    refused
        .says("MySQL refused the login: ")
        .says("Access denied for user 'app'")
        .says(&format!(
            "mysql://app:***@127.0.0.1:{port}/nodb is not ready"
        ))
        .never_says("wrong-Secret-8")
        .never_says("maria-Secret-4");
    // `#table=` with a name an attacker wrote (on this server: a second MariaDB
    // bootstrapping beside it has failed under qemu's load). `x' OR 1=1 -- `: a
    // name that, quoted with backslashes, is a condition under
    // NO_BACKSLASH_ESCAPES; and one that is, quoted by doubling, in the default mode.
    admin("CREATE TABLE appdb.victim (id INT)");
    let target = |table: &str| at("app:maria-Secret-4", &format!("appdb#table={table}"));
    for (mode, name) in [
        ("NO_BACKSLASH_ESCAPES", "nosuch%27%20OR%201%3D1%20--%20"),
        ("", "nosuch%5C%27%20OR%201%3D1%20--%20"),
    ] {
        admin(&format!("SET GLOBAL sql_mode = '{mode}'"));
        let injected = run_within(waitfor().args(["-t", "2", &target(name)]), secs(30.0));
        assert_eq!(injected.code(), 124, "{mode}: {injected:?}");
        injected.says("does not exist yet");
        let found = run_within(waitfor().args(["-t", "10", &target("victim")]), secs(30.0));
        assert_eq!(found.code(), 0, "{mode}: {found:?}");
    }
    assert_eq!(admin("SELECT COUNT(*) FROM appdb.victim").trim(), "0");
    // Every session ended with COM_QUIT: no aborted connection in the server's log.
    let log = fs::read_to_string(&server.log).unwrap();
    assert!(!log.contains("Aborted connection"), "{log}");
}

/// `#table=` with a name an attacker wrote: it is passed as a parameter, so
/// no server setting turns it into a statement.
#[test]
fn postgres_table_names_cannot_be_statements() {
    let dir = TempDir::new("logins-injection");
    let (_server, data, port) = postgres(
        &dir.0,
        "local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n",
    );
    sql(
        &data,
        port,
        "postgres",
        "CREATE ROLE app LOGIN PASSWORD 'inject-Secret-5'",
    );
    sql(&data, port, "postgres", "CREATE DATABASE appdb OWNER app");
    // With backslashes read as escapes in strings, doubling quotes is no defence.
    sql(
        &data,
        port,
        "postgres",
        "ALTER DATABASE appdb SET standard_conforming_strings = off; \
         ALTER DATABASE appdb SET escape_string_warning = off",
    );
    sql(
        &data,
        port,
        "appdb",
        "CREATE TABLE victim (id INT); ALTER TABLE victim OWNER TO app",
    );
    let target = |table: &str| {
        format!("postgres://app:inject-Secret-5@127.0.0.1:{port}/appdb#table={table}")
    };
    let injected = run_within(
        waitfor()
            .args(["-t", "2"])
            .arg(target("%5C%27%29%3B%20DROP%20TABLE%20victim%3B%20--")),
        secs(30.0),
    );
    // to_regclass finds no such name ("invalid name syntax"): not ready, and nothing else.
    assert_eq!(injected.code(), 124, "{injected:?}");
    injected.says("is not ready");
    // The table is still there, and is found by its name.
    sql(&data, port, "appdb", "SELECT count(*) FROM victim");
    let found = run_within(waitfor().args(["-t", "10", &target("victim")]), secs(30.0));
    assert_eq!(found.code(), 0, "{found:?}");
}
