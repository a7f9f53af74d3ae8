//! The `crashpoint` binary: a thin shell over the `crashpoint-harness` and `crashpoint-engine` crates.

mod cli;

// The engine allocates a few small strings per output row; mimalloc makes that a third cheaper
// than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Like other Unix tools, end quietly when the reader of stdout goes away (`| head`).
    #[cfg(unix)]
    // SAFETY: resetting a signal to its default action before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // An injected crash must kill the process as `kill -9` would: no unwinding, no destructors,
    // nothing flushed on the way out. Any other panic is a bug, and dies the same way, loudly.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        std::process::abort();
    }));
    // Reads FAILPOINTS, so that a real process can be crashed at a crash point
    // (`FAILPOINTS='after-sink-write=1*off->panic'` lets the first hit pass and dies at the second).
    let _failpoints = fail::FailScenario::setup();
    cli::main()
}
