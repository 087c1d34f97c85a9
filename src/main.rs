//! waitfor: hold a program back until the services it needs are ready, then exec it.
//!
//! options → wait → hand off. Every way this can end maps to an exit code in
//! one place, [`Error::exit_code`]. The modules are in the library
//! (`lib.rs`), so that the fuzz targets reach the same code.

use waitfor::error::Error;
use waitfor::options::Handoff;
use waitfor::output::{self, Report};
use waitfor::shutdown::Shutdown;
use waitfor::{cli, exec, wait};

fn main() {
    let error = match run() {
        Ok(code) => std::process::exit(code),
        Err(error) => error,
    };
    match &error {
        Error::Help(text) => print!("{text}"),
        // Reported before the subscriber exists, and in the same form whatever --log-format says.
        Error::Usage(_) => output::line(&format!("waitfor: error: {error}")),
        _ => tracing::error!("{error}"),
    }
    output::flush();
    std::process::exit(error.exit_code());
}

/// Waits, then hands off; `Ok` carries the exit code (0 without a COMMAND,
/// the child's with `--init`); an exec that works never returns.
fn run() -> Result<i32, Error> {
    let options = cli::parse(std::env::args_os())?;
    let level = output::install(options.log);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Startup)?;
    let waited = runtime.block_on(async {
        let mut shutdown = Shutdown::listen().map_err(Error::Startup)?;
        wait::until_ready(&options, Report::new(options.log, level), &mut shutdown).await
    });
    // What the wait said is on stderr before the COMMAND writes there.
    output::flush();
    let ended = match (waited, &options.command) {
        (Err(error), _) => Err(error),
        (Ok(()), None) => Ok(0),
        (Ok(()), Some(command)) => match options.handoff {
            Handoff::Exec => Err(exec::exec(command)),
            Handoff::Supervise => runtime.block_on(exec::supervise(command)),
        },
    };
    // A name lookup may still be running on a blocking thread: do not wait for it.
    runtime.shutdown_background();
    ended
}
