#!/usr/bin/env python3
"""End-to-end self-check of driver.py: start it, crash the tutorial workload at every position of
every log, restart, read the file sink back, and check exactly-once. Exits non-zero on failure.

    python3 smoke.py [--python PY] [--work DIR]

The driver runs on --python, by default $CRASHPOINT_SPARK_PYTHON or the venv crashpoint
provisioned (see sparkpython.py).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from sparkpython import spark_python  # noqa: E402
E1 = '{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}}\n'
E2 = ('{"eventId": "e2", "data": {"devices": [{"deviceId": "d3", "temperature": 30.0}]}}\n'
      '{"eventId": "e3", "data": {"devices": []}}\n')
PLAN = [{"op": "explode", "column": "data.devices", "as": "device"},
        {"op": "select", "columns": ["eventId", "device.deviceId as device_id", "device.temperature as temp"]}]
EXPECTED = sorted([("e1", "d1", 21.5), ("e1", "d2", 19.0), ("e2", "d3", 30.0)])
POSITIONS = [(log, when) for log in ("sources", "offsets", "sink", "commits") for when in ("before", "during", "after")]

failures = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--python", default=None)
    ap.add_argument("--work", default=None)
    args = ap.parse_args()
    args.python = args.python or spark_python()
    work = args.work or tempfile.mkdtemp(prefix="crashpoint-smoke-")
    t0 = time.monotonic()
    proc = subprocess.Popen([args.python, os.path.join(HERE, "driver.py"), "--java-src", os.path.join(HERE, "java"),
                             "--classes", os.path.join(work, "classes"), "--log-dir", os.path.join(work, "logs")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")

    def req(obj):
        proc.stdin.write(json.dumps(obj) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("FAIL  the driver died; see " + os.path.join(work, "logs"))
        return json.loads(line)

    hello = req({"op": "hello", "id": 1})
    check(hello.get("ok") and hello.get("spark", "").startswith("4.") and hello.get("id") == 1,
          f"hello: Spark {hello.get('spark')}, Java {hello.get('java')}, JVM start {hello.get('jvm_start_ms')} ms")
    bad = req({"op": "nope"})
    check(bad.get("ok") is False and "unknown op" in bad["error"]["message"], "an unknown op is an error response")
    bad = req({"op": "run", "input": "relative/path"})
    check(bad.get("ok") is False, "a bad run request is an error response")
    proc.stdin.write("{not json\n")
    proc.stdin.flush()
    check(json.loads(proc.stdout.readline()).get("ok") is False, "a line that is not JSON is an error response")

    bad = req({"op": "run", "input": work, "checkpoint": os.path.join(work, "bad-cp"), "plan": [{"op": "explode"}]})
    check(bad.get("ok") is False and "lacks the field" in bad["error"]["message"], "a bad plan step is an error response")

    # console capture
    base = os.path.join(work, "console")
    os.makedirs(os.path.join(base, "in"))
    open(os.path.join(base, "in", "device_01.json"), "w").write(E1)
    r = req({"op": "run", "input": os.path.join(base, "in"), "checkpoint": os.path.join(base, "cp"),
             "sink": {"kind": "console"}, "plan": PLAN, "trigger": "available-now"})
    check(r.get("outcome") == "completed" and "|     e1|       d1|21.5|" in r.get("console", ""),
          "console sink output is captured and returned")

    for log, when in POSITIONS:
        tag = f"{when} {log}"
        base = os.path.join(work, f"{log}-{when}")
        inp, cp, out = (os.path.join(base, x) for x in ("in", "cp", "out"))
        os.makedirs(inp)
        for name, text, mtime in (("device_01.json", E1, 1_700_000_000), ("device_02.json", E2, 1_700_000_001)):
            p = os.path.join(inp, name)
            open(p, "w").write(text)
            os.utime(p, (mtime, mtime))
        run = {"op": "run", "input": inp, "checkpoint": cp, "sink": {"kind": "file", "path": out}, "plan": PLAN,
               "trigger": "available-now", "source": {"maxFilesPerTrigger": 1}, "timeout_ms": 120_000}
        r = req({**run, "crash": {"log": log, "when": when, "hit": 2}})
        struck = r.get("crash") or {}
        check(r.get("outcome") == "crashed" and struck.get("log") == log and struck.get("when") == when
              and struck.get("hit") == 2, f"{tag}: crashed at the 2nd write ({struck.get('file')}, batch {struck.get('batch')})")
        if log != "sink":
            final = os.path.join(cp, {"sources": "sources/0"}.get(log, log), "1")
        else:
            final = os.path.join(out, "_spark_metadata", "1")
        check(os.path.exists(final) == (when == "after"), f"{tag}: {final} {'exists' if when == 'after' else 'does not exist'}")
        if when == "during":
            d = os.path.dirname(final)
            check(any(n.startswith(".1.") and n.endswith(".tmp") for n in os.listdir(d)), f"{tag}: the temp file is left behind")
        r = req(run)
        check(r.get("outcome") == "completed", f"{tag}: restart completes" + ("" if r.get("outcome") == "completed"
                                                                               else f" ({r.get('error', {}).get('message', '')[:300]})"))
        rows = req({"op": "read-file-sink", "path": out})
        got = sorted((x.get("eventId"), x.get("device_id"), x.get("temp")) for x in rows.get("rows", []))
        check(got == EXPECTED, f"{tag}: exactly once: {got}")
        offsets = {n for n in os.listdir(os.path.join(cp, "offsets")) if n.isdigit()}
        commits = {n for n in os.listdir(os.path.join(cp, "commits")) if n.isdigit()}
        check(offsets == commits == {"0", "1"}, f"{tag}: offsets {sorted(offsets)} = commits {sorted(commits)}")

    # foreach-batch that fails mid-batch, then an idempotent re-run
    base = os.path.join(work, "foreach")
    os.makedirs(os.path.join(base, "in"))
    open(os.path.join(base, "in", "device_01.json"), "w").write(E1)
    run = {"op": "run", "input": os.path.join(base, "in"), "checkpoint": os.path.join(base, "cp"), "plan": PLAN,
           "sink": {"kind": "foreach-batch", "table": os.path.join(base, "table.jsonl"), "idempotent": False}}
    r = req({**run, "sink": {**run["sink"], "fail": {"batch": 0, "after_rows": 1}}})
    check(r.get("outcome") == "crashed" and (r.get("crash") or {}).get("log") == "foreach-batch", "foreach-batch: fails mid-batch on request")
    r = req(run)
    lines = [json.loads(l) for l in open(os.path.join(base, "table.jsonl"))]
    check(r.get("outcome") == "completed" and [len(l["rows"]) for l in lines] == [1, 2],
          "foreach-batch (naive): the re-run appends batch 0 again (at-least-once)")

    req({"op": "shutdown"})
    proc.wait(timeout=60)
    print(f"\n{len(failures)} failure(s); {time.monotonic() - t0:.0f} s; work dir {work}")
    if not failures and not args.work:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
