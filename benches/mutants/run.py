#!/usr/bin/env python3
"""Mutation scores of the generators alone and of `cargo test`, over the same mutants.

Each mutant comes from `cargo mutants --list --json --diff` (cargo-mutants 27) over the engine's
checkpoint, source, sink and engine code (FILES). For each sampled mutant the script applies its
diff to this work tree, builds the test binaries once, and runs two sides on the same build:

- generators: `tests/generators_alone.rs` (explore over shipped scenarios and fuzz from a fixed
  seed, judged by their own oracle only); killed if it fails or times out;
- cargo test: every test binary `cargo test` builds, run as cargo runs them (from the package's
  directory), then the doc tests; killed at the first binary that fails or times out. Cheap
  binaries run first, so a killed mutant rarely pays for the slow ones.

A mutant that does not build is "unviable" and counts on neither side. Results are appended to a
JSON Lines file, one line per mutant, so a stopped run resumes where it left off. While the file
/work/bench.quiet exists (someone is benchmarking) the script waits between mutants.

Usage: benches/mutants/run.py --every K [--offset O] [--out FILE]   (from the repository root)
       benches/mutants/run.py --summary FILE
       benches/mutants/run.py --rerun EARLIER [--out FILE]

--rerun runs the generators' side again, on the current tree, for the viable mutants of an earlier
results file (the same mutation, found again by file, function and replacement: line numbers move),
the ones the generators missed first. Each row keeps the earlier `cargo test` verdict, marked
`cargo_test_from`: the generators' side is what changed. --summary reads such a file as well.
It edits tracked files while a mutant is applied: run it in a work tree of its own.
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

FILES = [
    "crates/engine/src/checkpoint/compactible.rs",
    "crates/engine/src/checkpoint/format.rs",
    "crates/engine/src/checkpoint/log.rs",
    "crates/engine/src/checkpoint/mod.rs",
    "crates/engine/src/checkpoint/records.rs",
    "crates/engine/src/engine/batch.rs",
    "crates/engine/src/engine/mod.rs",
    "crates/engine/src/engine/recovery.rs",
    "crates/engine/src/engine/tasks.rs",
    "crates/engine/src/engine/trigger.rs",
    "crates/engine/src/sink/file.rs",
    "crates/engine/src/sink/mod.rs",
    "crates/engine/src/source/mod.rs",
    "crates/engine/src/source/parse.rs",
]

# The binaries built and run first: cheap, and they kill most mutants.
FIRST = ["scenarios", "no_wedge", "bad_input", "checkpoint_lock", "long_run", "triggers",
         "recovery_shapes", "log_offset", "paths", "generators_alone"]
# The slow ones run last, in this order.
LAST = ["seeded_bugs", "explore_determinism", "sink_command", "spark"]
GENERATORS = "generators_alone"
QUIET = Path("/work/bench.quiet")
BUILD_TIMEOUT = 600


def cargo_build(selectors):
    """Builds test binaries; returns {name: (executable, package dir)} or None if it fails."""
    cmd = ["cargo", "test", "--no-run", "--message-format=json", *selectors]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        return None
    bins = {}
    for line in done.stdout.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
            pkg = Path(m["manifest_path"]).parent
            bins[m["target"]["name"]] = (m["executable"], str(pkg))
    return bins


def first_selectors():
    return ["--workspace", "--lib", "--bins"] + [a for t in FIRST for a in ("--test", t)]


def run_binary(exe, cwd, timeout, args=()):
    """Runs one test binary; returns 'ok', 'failed' or 'timeout'."""
    try:
        done = subprocess.run([exe, *args], cwd=cwd, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "ok" if done.returncode == 0 else "failed"


def run_doc_tests(timeout):
    try:
        done = subprocess.run(["cargo", "test", "--doc", "--workspace"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "ok" if done.returncode == 0 else "failed"


def ordered(bins):
    """cargo test's binaries, cheap ones first and the slow ones last."""
    names = [n for n in bins if n != GENERATORS]
    head = [n for n in names if n in FIRST or bins[n][0].find("/deps/crashpoint") >= 0]
    tail = [n for n in LAST if n in names]
    middle = sorted(n for n in names if n not in head and n not in tail)
    return head + middle + tail


def timeout_of(baseline, name):
    return max(60.0, 4 * baseline.get(name, 60.0))


def cargo_test_side(baseline, first_bins):
    """Runs cargo test's binaries until one fails; returns (verdict, killer). A killer that only
    timed out is named `name (timeout)`: under load a timeout may be the machine, not the mutant."""
    for name in ordered(first_bins):
        exe, cwd = first_bins[name]
        result = run_binary(exe, cwd, timeout_of(baseline, name))
        if result != "ok":
            return "killed", name if result == "failed" else f"{name} (timeout)"
    every = cargo_build(["--workspace"])
    if every is None:
        return "error", "the rest of the test binaries do not build"
    for name in ordered(every):
        if name in first_bins:
            continue
        exe, cwd = every[name]
        result = run_binary(exe, cwd, timeout_of(baseline, name))
        if result != "ok":
            return "killed", name if result == "failed" else f"{name} (timeout)"
    if run_doc_tests(timeout_of(baseline, "doc")) != "ok":
        return "killed", "doc"
    return "survived", None


def generators_side(baseline, bins):
    exe, cwd = bins[GENERATORS]
    result = run_binary(exe, cwd, timeout_of(baseline, GENERATORS), ["--ignored"])
    return {"ok": "survived", "failed": "killed"}.get(result, "killed (timeout)")


def apply(diff, reverse=False):
    lines = diff.splitlines(keepends=True)
    path = lines[0][4:].strip()
    patch = f"--- a/{path}\n+++ b/{path}\n" + "".join(lines[2:])
    cmd = ["git", "apply", "--recount"] + (["-R"] if reverse else []) + ["-"]
    subprocess.run(cmd, input=patch, text=True, check=True)


def measure_baseline(path):
    """Times every binary on the unmutated tree; they must all pass."""
    bins = cargo_build(["--workspace"])
    assert bins is not None, "the unmutated tree does not build"
    times = {}
    for name, (exe, cwd) in bins.items():
        start = time.monotonic()
        args = ["--ignored"] if name == GENERATORS else []
        result = run_binary(exe, cwd, 1800, args)
        assert result == "ok", f"{name} fails on the unmutated tree"
        times[name] = round(time.monotonic() - start, 1)
    start = time.monotonic()
    assert run_doc_tests(1800) == "ok", "the doc tests fail on the unmutated tree"
    times["doc"] = round(time.monotonic() - start, 1)
    path.write_text(json.dumps(times, indent=1, sort_keys=True) + "\n")
    return times


def sample(mutants, every, offset):
    """Every K-th mutant of each file from the offset, in an order fixed by their names' hashes:
    a run stopped part-way has still sampled every file alike."""
    chosen = []
    for f in FILES:
        mine = [m for m in mutants if m["file"] == f]
        chosen += [m for i, m in enumerate(mine) if i % every == offset]
    return sorted(chosen, key=lambda m: hashlib.sha256(m["name"].encode()).hexdigest())


def one_mutant(m, baseline):
    start = time.monotonic()
    apply(m["diff"])
    try:
        bins = cargo_build(first_selectors())
        if bins is None:
            return {"name": m["name"], "file": m["file"], "outcome": "unviable"}
        generators = generators_side(baseline, bins)
        cargo_test, killer = cargo_test_side(baseline, bins)
        return {"name": m["name"], "file": m["file"], "generators": generators, "cargo_test": cargo_test,
                "killed_by": killer, "seconds": round(time.monotonic() - start)}
    finally:
        apply(m["diff"], reverse=True)


def mutation_key(name):
    """A mutant's name without its line and column: `file: what is replaced`."""
    path, rest = name.split(":", 1)
    return path + ":" + rest.split(": ", 1)[1]


def line_of(name):
    return int(name.split(":")[1])


def nearest(candidates, earlier_name):
    """Of the mutants with the same mutation, the one whose line moved least (None if none)."""
    line = line_of(earlier_name)
    return min(candidates, key=lambda m: abs(line_of(m["name"]) - line), default=None)


def rerun(earlier_path, mutants, out, baseline):
    """The generators' side again for the earlier file's viable mutants, misses first."""
    earlier = [json.loads(line) for line in Path(earlier_path).read_text().splitlines() if line.strip()]
    viable = [r for r in earlier if r.get("outcome") != "unviable" and r.get("cargo_test") != "error"]
    viable.sort(key=lambda r: (r["generators"].startswith("killed"), r["cargo_test"] != "killed"))
    by_key = {}
    for m in mutants:
        by_key.setdefault(mutation_key(m["name"]), []).append(m)
    done = {json.loads(line)["earlier"] for line in out.read_text().splitlines()} if out.exists() else set()
    for k, row in enumerate(viable, 1):
        if row["name"] in done:
            continue
        while QUIET.exists():
            time.sleep(10)
        m = nearest(by_key.get(mutation_key(row["name"]), []), row["name"])
        if m is None:
            new = {"name": row["name"], "file": row["file"], "earlier": row["name"], "outcome": "gone"}
        else:
            start = time.monotonic()
            apply(m["diff"])
            try:
                bins = cargo_build(["--test", GENERATORS])
                generators = "unviable" if bins is None else generators_side(baseline, bins)
            finally:
                apply(m["diff"], reverse=True)
            new = {"name": m["name"], "file": m["file"], "earlier": row["name"], "generators": generators,
                   "generators_before": row["generators"], "cargo_test": row["cargo_test"],
                   "cargo_test_from": Path(earlier_path).name, "killed_by": row.get("killed_by"),
                   "seconds": round(time.monotonic() - start)}
        with out.open("a") as f:
            f.write(json.dumps(new, sort_keys=True) + "\n")
        print(f"[{k}/{len(viable)}] {row['generators']} -> {new.get('generators', new.get('outcome'))}"
              f" {new['name']}", flush=True)


def summary(path):
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    viable = [r for r in rows if r.get("outcome") not in ("unviable", "gone")
              and r.get("cargo_test") != "error" and r.get("generators") != "unviable"]
    g = {r["name"] for r in viable if r["generators"].startswith("killed")}
    slow = [r["name"] for r in viable if "timeout" in r["generators"] or "timeout" in (r.get("killed_by") or "")]
    t = {r["name"] for r in viable if r["cargo_test"] == "killed"}
    print(f"mutants: {len(rows)} sampled, {len(rows) - len(viable)} unviable, {len(viable)} viable")
    print(f"cargo test kills {len(t)}/{len(viable)} ({100 * len(t) / max(1, len(viable)):.0f}%)")
    print(f"generators kill {len(g)}/{len(viable)} ({100 * len(g) / max(1, len(viable)):.0f}%)")
    print(f"generators kill {len(g & t)}/{len(t)} of cargo test's kills "
          f"({100 * len(g & t) / max(1, len(t)):.0f}%), and {len(g - t)} it misses")
    print(f"kills that were timeouts (load may have caused them): {len(slow)}")
    for title, names in (("cargo test only", t - g), ("generators only", g - t), ("neither", None)):
        picked = [r for r in viable if (r["name"] in names if names is not None
                                         else r["name"] not in g | t)]
        print(f"\n{title} ({len(picked)}):")
        for r in picked:
            print(f"  {r['name']}" + (f"  [{r['killed_by']}]" if r.get("killed_by") else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=int, default=1)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--out", default="target/mutants/results.jsonl")
    parser.add_argument("--summary")
    parser.add_argument("--rerun", metavar="EARLIER")
    args = parser.parse_args()
    if args.summary:
        return summary(args.summary)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    listing = ["cargo", "mutants", "--list", "--json", "--diff", "-p", "crashpoint-engine"]
    mutants = json.loads(subprocess.run(listing, capture_output=True, text=True, check=True).stdout)
    baseline_path = out.parent / "baseline.json"
    baseline = json.loads(baseline_path.read_text()) if baseline_path.exists() else measure_baseline(baseline_path)
    if args.rerun:
        return rerun(args.rerun, mutants, out, baseline)
    chosen = sample(mutants, args.every, args.offset)
    done = {json.loads(line)["name"] for line in out.read_text().splitlines()} if out.exists() else set()
    print(f"{len(chosen)} mutants sampled of {len(mutants)}; {len(done)} done already", flush=True)
    for k, m in enumerate(chosen, 1):
        if m["name"] in done:
            continue
        while QUIET.exists():
            time.sleep(10)
        row = one_mutant(m, baseline)
        with out.open("a") as f:
            f.write(json.dumps(row, sort_keys=True) + "\n")
        print(f"[{k}/{len(chosen)}] {row.get('generators', '-')}/{row.get('cargo_test', row.get('outcome'))}"
              f" {m['name']}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
