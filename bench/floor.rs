//! The floor under waitfor in Rust: what bench/floor.c does, with the
//! standard library alone (its start-up, its allocator, its exec), built
//! static for musl as waitfor is. What is left between this and waitfor is
//! waitfor's own: the options, the runtime, the deadline, the signals, the
//! output.
//!
//!     floor-rust HOST PORT COMMAND ARG…

use std::os::unix::process::CommandExt;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        std::process::exit(2);
    }
    if std::net::TcpStream::connect((args[1].as_str(), args[2].parse().unwrap_or(0))).is_err() {
        std::process::exit(1);
    }
    let error = std::process::Command::new(&args[3]).args(&args[4..]).exec();
    eprintln!("floor-rust: {error}");
    std::process::exit(127);
}
