//! `file://` URIs, the way Spark writes paths into its logs: the source log, the sink log and the
//! file sink's entries all hold them.
//!
//! Spark writes Hadoop's `Path.toUri().toString()`, that is `java.net.URI`'s quoting of a path
//! component, measured on Spark 4.3 (`spark/FINDINGS.md`, Q2): space `%20`, `%` `%25`, `#`
//! `%23`, `?` `%3F`, `[` `%5B`, `]` `%5D`, `{` `%7B`, `}` `%7D`; `+`, `*`, `:` and non-ASCII
//! letters stay raw (`é.json`, `日本.json`). By the same rule `"`, `<`, `>`, `\`, `^`, `` ` ``,
//! `|` and control characters are quoted, and so are non-ASCII space and control characters
//! (as UTF-8 bytes). A file name that is not UTF-8, which Java cannot name, has its stray bytes
//! quoted so that it still reads back to the same path.
//!
//! Pure functions on names, at the bottom of the crate beside `storage`. This module must never
//! touch a disk or know which log a URI goes into.

use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

/// ASCII characters `java.net.URI` keeps raw in a path: unreserved, punctuation, `/` and `@`.
fn raw_in_path(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"_-!.~'()*,;:$&+=/@".contains(&byte)
}

fn quote_bytes(bytes: &[u8], out: &mut String) {
    for byte in bytes {
        out.push_str(&format!("%{byte:02X}"));
    }
}

/// True for a non-ASCII character Java quotes: a space (`Character.isSpaceChar`: Unicode Zs, Zl,
/// Zp) or an ISO control character (U+0080 to U+009F).
fn quoted_non_ascii(c: char) -> bool {
    let space = matches!(c, '\u{a0}' | '\u{1680}' | '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}')
        || matches!(c, '\u{205f}' | '\u{3000}');
    space || ('\u{80}'..='\u{9f}').contains(&c)
}

/// A path as Java's `URI` writes a path component.
fn quote_path(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_ascii() && raw_in_path(c as u8) || !c.is_ascii() && !quoted_non_ascii(c) {
                out.push(c);
            } else {
                quote_bytes(c.encode_utf8(&mut [0; 4]).as_bytes(), &mut out);
            }
        }
        quote_bytes(chunk.invalid(), &mut out);
    }
    out
}

/// The `file://` URI of an absolute path, as Spark writes it.
pub fn uri_of(path: &Path) -> String {
    format!("file://{}", quote_path(path.as_os_str().as_bytes()))
}

/// The path of a `file://` URI, its `%XX` escapes decoded; anything else is taken as a path
/// already. A `%` that starts no escape is kept as it is.
pub fn path_of(uri: &str) -> PathBuf {
    let Some(quoted) = uri.strip_prefix("file://").or_else(|| uri.strip_prefix("file:")) else {
        return PathBuf::from(uri);
    };
    let bytes = quoted.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = bytes.get(i + 1..i + 3).and_then(|hex| std::str::from_utf8(hex).ok());
        match (bytes[i], escape.and_then(|hex| u8::from_str_radix(hex, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    PathBuf::from(std::ffi::OsString::from_vec(out))
}

/// The same URI in the one form `uri_of` writes: an older or hand-written spelling of a path
/// (raw spaces, lower-case escapes) compares equal to Spark's.
pub fn canonical(uri: &str) -> String {
    if uri.starts_with("file:") { uri_of(&path_of(uri)) } else { uri.to_string() }
}

/// The file name of a URI, decoded: what a person calls the file.
pub fn file_name_of(uri: &str) -> String {
    let path = path_of(uri);
    path.file_name().map_or_else(|| uri.to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_as_spark_4_3_writes_them() {
        // Measured on Spark 4.3 (FINDINGS Q2): the input dir `in dir`, the output dir `out dir é`.
        let cases = [
            ("/in/a.json", "file:///in/a.json"),
            ("/q02/in dir/my file.json", "file:///q02/in%20dir/my%20file.json"),
            ("/in/100%.json", "file:///in/100%25.json"),
            ("/in/my%20file.json", "file:///in/my%2520file.json"),
            ("/in/a#b.json", "file:///in/a%23b.json"),
            ("/in/a+b.json", "file:///in/a+b.json"),
            ("/in/é.json", "file:///in/é.json"),
            ("/in/日本.json", "file:///in/日本.json"),
            ("/in/a?b.json", "file:///in/a%3Fb.json"),
            ("/in/[x].json", "file:///in/%5Bx%5D.json"),
            ("/in/{y}.json", "file:///in/%7By%7D.json"),
            ("/in/a*b.json", "file:///in/a*b.json"),
            ("/in/a:b.json", "file:///in/a:b.json"),
            ("/out dir é/part-0.json", "file:///out%20dir%20é/part-0.json"),
            // By java.net.URI's rule, not measured one by one.
            ("/in/a\"<>\\^`|.json", "file:///in/a%22%3C%3E%5C%5E%60%7C.json"),
            ("/in/tab\there", "file:///in/tab%09here"),
            ("/in/nbsp\u{a0}x", "file:///in/nbsp%C2%A0x"),
            ("/in/~'(),;$&=@!-_.json", "file:///in/~'(),;$&=@!-_.json"),
        ];
        for (path, uri) in cases {
            assert_eq!(uri_of(Path::new(path)), uri, "{path}");
            assert_eq!(path_of(uri), PathBuf::from(path), "{uri}");
        }
    }

    #[test]
    fn reading_uris() {
        assert_eq!(path_of("/plain/path"), PathBuf::from("/plain/path"), "a bare path stays a path");
        assert_eq!(path_of("file:/a%20b"), PathBuf::from("/a b"), "Hadoop's short form");
        assert_eq!(path_of("file:///a b/100%.json"), PathBuf::from("/a b/100%.json"), "raw, as crashpoint once wrote");
        assert_eq!(path_of("file:///a%2"), PathBuf::from("/a%2"), "a cut escape is kept");
        assert_eq!(canonical("file:///a b/c%2ejson"), "file:///a%20b/c.json");
        assert_eq!(file_name_of("file:///in/my%20file.json"), "my file.json");
    }

    #[test]
    fn a_name_that_is_not_utf8_reads_back_to_the_same_bytes() {
        let path = PathBuf::from(std::ffi::OsString::from_vec(b"/in/caf\xe9.json".to_vec()));
        let uri = uri_of(&path);
        assert_eq!(uri, "file:///in/caf%E9.json");
        assert_eq!(path_of(&uri), path);
    }
}
