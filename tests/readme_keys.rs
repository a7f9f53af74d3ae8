//! The README documents every scenario key: every key the scenario parser accepts, and every key
//! a reproducer written by `explore` or `fuzz` uses.
//!
//! Goal: a user who meets a key in a scenario or a reproducer finds it in the README. Method: the
//! parser itself says which keys it accepts (each table rejects an unknown key with the list of
//! the allowed ones), so the list follows the parser; each is then looked up in README.md.

use crashpoint_harness::explore::{FuzzOptions, fuzz};
use crashpoint_harness::scenario::Scenario;
use std::collections::BTreeSet;
use std::path::Path;

fn readme() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap()
}

/// True if the README shows `key` as a key: `key = `, `` `key` ``, `[key]` or `[[key]]`.
fn documented(readme: &str, key: &str) -> bool {
    [format!("{key} ="), format!("`{key}`"), format!("[{key}]"), format!("[[{key}]]"), format!(".{key}]")]
        .iter()
        .any(|form| readme.contains(form.as_str()))
}

/// The keys an error message lists as allowed: "expected one of `a`, `b`", "expected `a` or
/// `b`", or "allowed: a, b".
fn allowed_keys(message: &str) -> Vec<String> {
    if let Some(list) = message.split("unknown field `").nth(1).and_then(|rest| rest.split(", expected ").nth(1)) {
        let list = list.trim_start_matches("one of ");
        return list
            .split([',', ' '])
            .map(|k| k.trim_matches('`'))
            .filter(|k| !k.is_empty() && *k != "or")
            .map(String::from)
            .collect();
    }
    let list = message.split("allowed: ").nth(1).unwrap_or_else(|| panic!("no list of keys in {message:?}"));
    list.split(", ").map(|k| k.trim().to_string()).filter(|k| k != "none").collect()
}

/// The keys the parser allows where `text` puts an unknown one.
fn keys_of(text: &str) -> Vec<String> {
    let error = Scenario::parse(Path::new("probe.toml"), text).expect_err(text);
    allowed_keys(&error.message)
}

const QUERY: &str = "[query]\nsink = \"console\"\n";

#[test]
fn every_key_the_scenario_parser_accepts_is_in_the_readme() {
    let mut probes: Vec<String> = vec![
        format!("zzz = 1\n{QUERY}"),
        format!("{QUERY}zzz = 1\n"),
        format!("{QUERY}source = {{ zzz = 1 }}\n"),
        format!("{QUERY}checkpoint = {{ zzz = 1 }}\n"),
        "[query]\nsink = { command = [\"x\"], zzz = 1 }\n".to_string(),
        format!("{QUERY}[expect]\nzzz = 1\n"),
        format!("{QUERY}[expect.spark]\nreason = \"r\"\nzzz = 1\n"),
        format!("{QUERY}[expect.spark]\nreason = \"r\"\nerrors = [{{ run = 1, zzz = 1 }}]\n"),
        format!("{QUERY}[[step]]\nzzz = 1\n"),
        format!("{QUERY}[[step]]\nrun = true\nio-error = {{ zzz = 1 }}\n"),
        format!("{QUERY}[[step]]\nrun = true\nsecond-query = {{ zzz = 1 }}\n"),
        format!("{QUERY}[[step]]\nadd = \"a.json\"\ngenerate = {{ zzz = 1 }}\n"),
        format!("{QUERY}[[step]]\nchange-query = {{ zzz = 1 }}\n"),
    ];
    // Each action's own keys, from the list of actions the parser gives.
    for action in keys_of(&format!("{QUERY}[[step]]\nzzz = 1\n")) {
        probes.push(format!("{QUERY}[[step]]\n{action} = \"a\"\nzzz = 1\n"));
    }
    let readme = readme();
    let mut keys = BTreeSet::new();
    for probe in &probes {
        keys.extend(keys_of(probe));
    }
    assert!(keys.len() > 40, "too few keys found; the probes no longer reach the parser's lists: {keys:?}");
    let missing: Vec<&String> = keys.iter().filter(|k| !documented(&readme, k)).collect();
    assert!(missing.is_empty(), "scenario keys the README does not document: {missing:?}");
}

/// Every key of a TOML text, at any depth: table names, keys, keys of inline tables and of
/// tables in arrays. Read with a TOML parser, so that a multi-line string's lines (an input
/// file's `text`, whose JSON may start with `[`) are never taken for keys.
fn keys_in_toml(text: &str) -> BTreeSet<String> {
    fn walk(table: &toml::Table, keys: &mut BTreeSet<String>) {
        for (key, value) in table {
            keys.insert(key.clone());
            walk_value(value, keys);
        }
    }
    fn walk_value(value: &toml::Value, keys: &mut BTreeSet<String>) {
        match value {
            toml::Value::Table(table) => walk(table, keys),
            toml::Value::Array(items) => items.iter().for_each(|item| walk_value(item, keys)),
            _ => {}
        }
    }
    let table: toml::Table = text.parse().unwrap_or_else(|e| panic!("a reproducer that is no TOML: {e}\n{text}"));
    let mut keys = BTreeSet::new();
    walk(&table, &mut keys);
    keys
}

#[test]
fn every_key_a_reproducer_uses_is_in_the_readme() {
    // Method: fuzz with a seeded bug writes a shrunk reproducer; every key in its TOML (and the
    // value `run = true` it writes for "the query's trigger") is looked up in the README.
    let bugs = vec!["commit-before-sink".into()];
    let options = FuzzOptions { cases: 300, seed: 1, bugs, power_loss: true, sink: None, shrink: true };
    let failure = fuzz(&options).failure.expect("fuzz catches commit-before-sink");
    let toml = failure.scenario.to_toml();
    let readme = readme();
    let missing: Vec<String> = keys_in_toml(&toml).into_iter().filter(|k| !documented(&readme, k)).collect();
    assert!(missing.is_empty(), "keys of a reproducer the README does not document: {missing:?}\n{toml}");
    if toml.contains("run = true") || toml.contains("restart = true") {
        assert!(readme.contains("run = true"), "reproducers write `run = true`; the README never shows it");
    }
}

#[test]
fn the_key_reader_reads_keys_not_text() {
    // Goal: the reader above finds every key of a reproducer and nothing else. Method: a text
    // with a table, an array of tables, an inline table in an array, and a multi-line string
    // whose lines look like a header and a key.
    let text = "seed = 0\n[query.source]\nmode = \"permissive\"\n[[step]]\nadd = \"f.json\"\ntext = \"\"\"\n[{\"a\": 1},\nfake = 2]\n\"\"\"\n[expect.spark]\nerrors = [{ run = 1, contains = \"x\" }]\n";
    let keys: Vec<String> = keys_in_toml(text).into_iter().collect();
    let want =
        ["add", "contains", "errors", "expect", "mode", "query", "run", "seed", "source", "spark", "step", "text"];
    assert_eq!(keys, want, "{text}");
}
