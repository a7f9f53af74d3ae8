//! Colour on a terminal, none when piped or when `NO_COLOR` is set (<https://no-color.org>);
//! `CLICOLOR_FORCE=1` forces it, as for clap's own help. Only words that carry a status are
//! coloured, so nothing is lost without colour.

use std::io::IsTerminal;

/// Whether to paint, decided once per stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// The style for stdout.
    pub fn stdout() -> Self {
        Self { colour: wanted(std::io::stdout().is_terminal()) }
    }

    /// The style for stderr.
    pub fn stderr() -> Self {
        Self { colour: wanted(std::io::stderr().is_terminal()) }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.colour { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() }
    }

    /// A pass.
    pub fn good(self, text: &str) -> String {
        self.paint("32", text)
    }

    /// A failure.
    pub fn bad(self, text: &str) -> String {
        self.paint("31;1", text)
    }

    /// A warning, or something that could not run.
    pub fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Less important detail.
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

fn wanted(terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("NO_COLOR") {
        return false;
    }
    if std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0" && !v.is_empty()) {
        return true;
    }
    terminal && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}
