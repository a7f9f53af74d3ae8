//! The `crashpoint` binary: a thin shell over the library.

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
    // Reads FAILPOINTS, so that a real process can be crashed at a crash point.
    let _failpoints = fail::FailScenario::setup();
    cli::main()
}
