//! waitfor: hold a program back until the services it needs are ready, then exec it.
//!
//! options → wait → hand off. Every way this can end maps to an exit code in
//! one place, [`error::Error::exit_code`].

mod cli;
mod deadline;
mod error;
mod exec;
mod options;
mod probe;
mod report;
mod shutdown;
mod target;
mod wait;

use error::Error;
use options::Options;
use shutdown::Shutdown;

fn main() {
    let Err(error) = run() else {
        std::process::exit(0);
    };
    match &error {
        Error::Help(text) => print!("{text}"),
        // Reported before the subscriber exists, and in the same form whatever --log-format says.
        Error::Usage(_) => eprintln!("waitfor: error: {error}"),
        _ => tracing::error!("{error}"),
    }
    std::process::exit(error.exit_code());
}

fn run() -> Result<(), Error> {
    let options = Options::from_args(std::env::args_os())?;
    report::install(options.log);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Startup)?;
    let waited = runtime.block_on(async {
        let mut shutdown = Shutdown::listen().map_err(Error::Startup)?;
        wait::until_ready(&options, &mut shutdown).await
    });
    // A name lookup may still be running on a blocking thread: do not wait for it.
    runtime.shutdown_background();
    waited?;
    match &options.command {
        Some(command) => Err(exec::exec(command)),
        None => Ok(()),
    }
}
