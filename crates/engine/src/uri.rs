//! `file://` URIs, the way Spark writes paths into its logs: the source log, the sink log and the
//! file sink's entries all hold them.
//!
//! Pure functions on names, at the bottom of the crate beside `storage`. This module must never
//! touch a disk or know which log a URI goes into.

use std::path::{Path, PathBuf};

/// The `file://` URI of a path, as Spark writes it.
pub fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The path of a `file://` URI; anything else is taken as a path already.
pub fn path_of(uri: &str) -> PathBuf {
    PathBuf::from(uri.strip_prefix("file://").unwrap_or(uri))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_round_trip() {
        let cases = [("/in/a.json", "file:///in/a.json"), ("/a b/c.json", "file:///a b/c.json")];
        for (path, uri) in cases {
            assert_eq!(uri_of(Path::new(path)), uri);
            assert_eq!(path_of(uri), PathBuf::from(path));
        }
        assert_eq!(path_of("/plain/path"), PathBuf::from("/plain/path"), "a bare path stays a path");
    }
}
