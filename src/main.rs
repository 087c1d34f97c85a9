//! waitfor: hold a program back until the services it needs are ready, then exec it.
//!
//! options → wait → hand off. The name it was invoked by chooses whose
//! command line it reads (its own, or an incumbent's it stands in for);
//! every way a run can end maps to an exit code in one place,
//! [`Error::exit_code`]. The modules are in the library (`lib.rs`), so that
//! the fuzz targets reach the same code.

use std::ffi::OsString;

use waitfor::arena::Arena;
use waitfor::error::Error;
use waitfor::face::Face;
use waitfor::options::{AfterTimeout, Handoff};
use waitfor::shutdown::Shutdown;
use waitfor::{exec, frontend, output, signals, wait};

/// Start-up allocations from one block of `.bss` (see `arena.rs`): 256 KiB,
/// some ten times what the fast path asks for.
#[global_allocator]
static ALLOCATOR: Arena<{ 256 * 1024 }> = Arena::new();

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let invoked = args.first().cloned().unwrap_or_default();
    let face = Face::invoked_as(&invoked);
    let error = match run(face, args) {
        Ok(code) => {
            output::flush();
            std::process::exit(code)
        }
        Err(error) => error,
    };
    match (&error, face) {
        (Error::Help(text), _) => print!("{text}"),
        (Error::Incumbent { text, .. }, _) => output::text(text),
        // A check's lines named each target that is not ready.
        (Error::Unhealthy { .. }, _) => {}
        // Reported before the subscriber exists, and in the same form whatever --log-format says.
        (Error::Usage(_), Face::Native) => output::line(&format!("waitfor: error: {error}")),
        (_, Face::Native) => tracing::error!("{error}"),
        // An incumbent's own timeout lines have said it all.
        (Error::NotReady { .. }, _) => {}
        (_, _) => output::line(&format!("{}: {error}", frontend::basename(&invoked))),
    }
    output::flush();
    std::process::exit(error.exit_code(face));
}

/// Waits, then hands off; `Ok` carries the exit code (0 without a COMMAND,
/// the child's with `--init`); an exec that works never returns.
fn run(face: Face, args: Vec<OsString>) -> Result<i32, Error> {
    // Blocked before any thread exists, so that every thread inherits the mask,
    // and before anything can block, so that none is lost (signals.rs).
    signals::block(Shutdown::SIGNALS).map_err(Error::Startup)?;
    let options = frontend::parse(face, args)?;
    if options.handoff == Handoff::Supervise {
        signals::block(exec::SUPERVISED).map_err(Error::Startup)?;
    }
    let level = output::install(options.log);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Startup)?;
    let mut report = output::report(&options, level);
    let waited = runtime.block_on(async {
        let mut shutdown = Shutdown::listen().map_err(Error::Startup)?;
        wait::until_ready(&options, report.as_mut(), &mut shutdown).await
    });
    // What the wait said is on stderr before the COMMAND writes there.
    output::flush();
    let ended = match (waited, &options.command, options.after_timeout) {
        // wait-for-it without --strict: the COMMAND runs after a timeout too.
        (Err(Error::NotReady { .. }), Some(command), AfterTimeout::RunCommand)
        | (Ok(()), Some(command), _) => match options.handoff {
            Handoff::Exec => Err(exec::exec(command)),
            Handoff::Supervise => runtime
                .block_on(exec::supervise(command))
                .inspect(|code| report.command_ended(*code)),
        },
        (Err(error), _, _) => Err(error),
        (Ok(()), None, _) => Ok(0),
    };
    // A name lookup may still be running on a blocking thread: do not wait for it.
    runtime.shutdown_background();
    ended
}
