//! Spark's metadata log file format: `v1`, then one JSON value a line, with no trailing newline.

/// The version line every log file starts with.
pub const VERSION_LINE: &str = "v1";

/// Encodes a log file: the version line, then `\n` before each JSON line.
pub fn encode(lines: &[String]) -> Vec<u8> {
    let mut out = String::from(VERSION_LINE);
    for line in lines {
        debug_assert!(!line.contains('\n'), "a log line must be one line");
        out.push('\n');
        out.push_str(line);
    }
    out.into_bytes()
}

/// Why a log file could not be decoded, with a hint for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeProblem {
    /// What is wrong.
    pub problem: String,
    /// What to do.
    pub hint: String,
}

const TORN_HINT: &str = "the file is probably torn by a crash while it was written, or changed by hand; run \
                         `crashpoint doctor` on the checkpoint: it says whether a repair is safe and what it costs";

/// Decodes a log file into its JSON lines (without the version line).
pub fn decode(bytes: &[u8]) -> Result<Vec<&str>, DecodeProblem> {
    let problem = |p: String, h: &str| DecodeProblem { problem: p, hint: h.to_string() };
    if bytes.is_empty() {
        return Err(problem("the file is empty".into(), TORN_HINT));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| problem(format!("not UTF-8 ({e})"), TORN_HINT))?;
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    if first != VERSION_LINE {
        let shown: String = first.chars().take(40).collect();
        let hint = match first.strip_prefix('v').and_then(|v| v.parse::<u32>().ok()) {
            Some(v) if v > 1 => "it was written by a newer Spark; crashpoint reads version 1 only",
            _ => TORN_HINT,
        };
        return Err(problem(
            format!("not a Spark metadata log (first line is '{shown}' but must be '{VERSION_LINE}')"),
            hint,
        ));
    }
    Ok(lines.filter(|l| !l.is_empty()).collect())
}

/// Spark 4.3's own offsets log has a version 2 (named sources, written when source evolution
/// is on; measured, `scenarios/reach/newer_spark_offsets.toml`): an offsets file that starts
/// with `v2` need not come from a newer Spark.
const OFFSETS_V2_HINT: &str = "Spark 4.3 writes offsets version 2 when source evolution is on \
                               (spark.sql.streaming.queryEvolution.enableSourceEvolution), as a newer Spark may; \
                               crashpoint reads version 1 only";

/// [`decode`] for the log named `log` ("offsets log", "commit log", ...): its hint for a
/// version above 1 says which Spark writes that version of this log.
pub fn decode_log<'a>(bytes: &'a [u8], log: &str) -> Result<Vec<&'a str>, DecodeProblem> {
    decode(bytes).map_err(|mut problem| {
        let first = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
        if log == "offsets log" && first == b"v2" {
            problem.hint = OFFSETS_V2_HINT.to_string();
        }
        problem
    })
}

/// Parses a log's JSON line, explaining which line failed.
pub fn parse_line<T: serde::de::DeserializeOwned>(line: &str, number: usize) -> Result<T, DecodeProblem> {
    serde_json::from_str(line).map_err(|e| DecodeProblem {
        problem: format!("line {} is not valid: {e}", number + 2),
        hint: TORN_HINT.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_cases() {
        let cases: &[(&[&str], &str)] = &[(&[], "v1"), (&[r#"{"a":1}"#], "v1\n{\"a\":1}"), (&["1", "2"], "v1\n1\n2")];
        for (lines, expected) in cases {
            let lines: Vec<String> = lines.iter().map(|s| s.to_string()).collect();
            assert_eq!(String::from_utf8(encode(&lines)).unwrap(), *expected);
        }
    }

    #[test]
    fn an_offsets_file_of_version_2_is_not_blamed_on_a_newer_spark() {
        // Goal: the hint is true: Spark 4.3 itself writes offsets v2 (source evolution on).
        assert!(decode_log(b"v2\n{}", "offsets log").unwrap_err().hint.contains("Spark 4.3 writes offsets version 2"));
        assert!(decode_log(b"v3\n{}", "offsets log").unwrap_err().hint.contains("newer Spark; crashpoint reads"));
        assert!(decode_log(b"v2\n{}", "commit log").unwrap_err().hint.contains("written by a newer Spark"));
    }

    #[test]
    fn decode_cases() {
        assert_eq!(decode(b"v1\n{}\n[]").unwrap(), vec!["{}", "[]"]);
        assert_eq!(decode(b"v1").unwrap(), Vec::<&str>::new());
        assert_eq!(decode(b"v1\n{}\n").unwrap(), vec!["{}"]);
    }

    #[test]
    fn decode_fail_cases() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "the file is empty"),
            (b"v2\n{}", "first line is 'v2'"),
            (b"{}", "first line is '{}'"),
            (b"\xff\xfe", "not UTF-8"),
        ];
        for (bytes, expected) in cases {
            let err = decode(bytes).unwrap_err();
            assert!(err.problem.contains(expected), "{err:?} should contain {expected}");
        }
        assert!(decode(b"v2").unwrap_err().hint.contains("newer Spark"));
        // Only a higher version is a newer Spark's; `v0` or a torn `v` is not.
        for older in [&b"v0\n{}"[..], b"v"] {
            let hint = decode(older).unwrap_err().hint;
            assert!(hint.contains("torn") && !hint.contains("newer Spark"), "{hint}");
        }
    }
}
