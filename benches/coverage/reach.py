#!/usr/bin/env python3
"""The engine lines that `cargo test` reaches and the generators alone do not.

A mutant on a line no generator reaches is one that `cargo test` may kill and the generators
cannot: this lists those lines, so that the next generator work is aimed at whole classes of
behaviour rather than at one sampled mutant. It measures line coverage (LLVM's source-based
coverage, `-C instrument-coverage`) of the files `benches/mutants/run.py` mutates (its FILES),
twice on one instrumented build:

- generators: `tests/generators_alone.rs` (`--ignored`), as the mutation script runs it;
- cargo test: the whole suite (`cargo test --no-fail-fast`), Spark's part included.

Lines inside a file's `#[cfg(test)]` module are left out (no mutant is made there). Prints, per
file, the lines reached by each side and every line reached only by `cargo test`, with its text.

Needs LLVM's tools of the compiler's LLVM version (Rust 1.95: LLVM 22; `apt-get install llvm-22`)
and about 6 GB of disk (the build and the raw profiles, deleted when merged).

Usage: benches/coverage/reach.py [--target-dir DIR] [--llvm-bin DIR] [--out FILE]
       (from the repository root; about 15 minutes on 2 cores)
"""

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "mutants"))
from run import FILES, GENERATORS  # noqa: E402  (the mutated files: one list for both tools)


def build_env(target_dir, profiles):
    env = dict(os.environ, CARGO_TARGET_DIR=str(target_dir), RUSTFLAGS="-C instrument-coverage")
    env["LLVM_PROFILE_FILE"] = str(profiles / "%p-%m.profraw")
    return env


def test_binaries(env):
    """Every test binary `cargo test` builds, instrumented: {name: executable}."""
    cmd = ["cargo", "test", "--no-run", "--message-format=json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    bins = {}
    for line in done.stdout.splitlines():
        m = json.loads(line)
        if m.get("reason") == "compiler-artifact" and m.get("executable"):
            bins[m["target"]["name"]] = m["executable"]
    return bins


def merge(llvm, profiles, out):
    raw = sorted(profiles.glob("*.profraw"))
    if not raw:
        sys.exit(f"no profile was written under {profiles}")
    subprocess.run([str(llvm / "llvm-profdata"), "merge", "-sparse", *map(str, raw), "-o", str(out)], check=True)
    shutil.rmtree(profiles)


def measure(side, cmd, env, llvm, work):
    profiles = work / side
    shutil.rmtree(profiles, ignore_errors=True)
    profiles.mkdir(parents=True)
    env = dict(env, LLVM_PROFILE_FILE=str(profiles / "%p-%m.profraw"))
    print(f"{side}: {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    merged = work / f"{side}.profdata"
    merge(llvm, profiles, merged)
    return merged


def lines_reached(llvm, profdata, objects, sources):
    """{source file: set of line numbers run at least once}, from an lcov export."""
    cmd = [str(llvm / "llvm-cov"), "export", "-format=lcov", f"-instr-profile={profdata}", objects[0]]
    cmd += [a for o in objects[1:] for a in ("-object", o)] + sources
    text = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    counts = collections.defaultdict(lambda: collections.defaultdict(int))
    current = None
    for line in text.splitlines():
        if line.startswith("SF:"):
            current = line[3:]
        elif line.startswith("DA:") and current:
            number, count = line[3:].split(",")[:2]
            counts[current][int(number)] += int(count)
    return {f: {n for n, c in per.items() if c > 0} for f, per in counts.items()}


def first_test_line(path):
    """The first line of the file's `#[cfg(test)]` module (past the end if it has none)."""
    lines = Path(path).read_text().split("\n")
    return next((i + 1 for i, line in enumerate(lines) if line.strip() == "#[cfg(test)]"), len(lines) + 1)


def report(root, everything, generators):
    out, totals = [], [0, 0]
    for rel in FILES:
        path = str(root / rel)
        cut = first_test_line(path)
        reached = {n for n in everything.get(path, set()) if n < cut}
        by_generators = reached & generators.get(path, set())
        only = sorted(reached - by_generators)
        totals[0] += len(reached)
        totals[1] += len(by_generators)
        out.append(f"{rel}: cargo test {len(reached)}, generators {len(by_generators)}, only cargo test {len(only)}")
        text = Path(path).read_text().split("\n")
        out.extend(f"    {n}: {text[n - 1].strip()[:110]}" for n in only)
    share = 100.0 * totals[1] / max(totals[0], 1)
    out.append(f"total: cargo test reaches {totals[0]} lines, the generators {totals[1]} of them ({share:.1f}%)")
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target-dir", default="target/coverage")
    parser.add_argument("--llvm-bin", default="/usr/lib/llvm-22/bin")
    parser.add_argument("--out", default="target/coverage/reach.txt")
    args = parser.parse_args()
    llvm, root = Path(args.llvm_bin), Path.cwd()
    if not (llvm / "llvm-cov").exists():
        sys.exit(f"no llvm-cov in {llvm}: install LLVM 22 (apt-get install llvm-22) or name its bin with --llvm-bin")
    target = Path(args.target_dir).resolve()
    work = target / "profiles"
    env = build_env(target, work / "build")
    bins = test_binaries(env)
    generators = measure("generators", [bins[GENERATORS], "--ignored"], env, llvm, work)
    everything = measure("cargo-test", ["cargo", "test", "--no-fail-fast"], env, llvm, work)
    objects = [bins[GENERATORS]] + sorted(b for n, b in bins.items() if n != GENERATORS)
    objects.append(str(target / "debug" / "crashpoint"))
    sources = [str(root / f) for f in FILES]
    text = report(root, lines_reached(llvm, everything, objects, sources),
                  lines_reached(llvm, generators, [bins[GENERATORS]], sources))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
