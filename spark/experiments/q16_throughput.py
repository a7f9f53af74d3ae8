"""Q16: Spark's streaming time on the throughput workload (issue 12), beside crashpoint's bench.

Usage: python3 q16_throughput.py INPUT_DIR [RUNS]

INPUT_DIR holds the bench's workload: `CRASHPOINT_BENCH_INPUT=INPUT_DIR cargo bench --bench
throughput` generates it there (200 files x 5,000 events, seed 42) and keeps it. Spark runs the same
query as the bench (eventId, device_id, temp; file sink; maxFilesPerTrigger 10; available-now) in one
warm driver, each run on a fresh checkpoint and output. The first run of a fresh JVM also pays for
query planning and code generation: it is reported apart. `elapsed_ms` is the driver's time for the
run request (start of the query to its stop); the driver's start (JVM and session) is not in it.
"""
import os, shutil, statistics, sys, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

inp = os.path.abspath(sys.argv[1])
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
files = sorted(f for f in os.listdir(inp) if f.endswith(".json") and not f.startswith("."))
size = sum(os.path.getsize(os.path.join(inp, f)) for f in files)
t0 = time.monotonic()
d = Driver("q16-throughput")
show("driver start (JVM + session), s", round(time.monotonic() - t0, 2))
show("workload", {"dir": inp, "files": len(files), "bytes": size})
results = []
for k in range(runs + 1):
    base = d.path(f"run{k}")
    cp, out = os.path.join(base, "cp"), os.path.join(base, "out")
    t1 = time.monotonic()
    r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN,
              source={"maxFilesPerTrigger": 10}, timeout_ms=600000)
    wall = time.monotonic() - t1
    rows = sum(b.get("numInputRows", 0) for b in r["batches"] if b.get("executed", True))
    # Spark's file sink reports no output rows (-1): count the lines of its part files instead.
    out_rows = 0
    for name in os.listdir(out) if os.path.isdir(out) else []:
        if name.startswith("part-"):
            with open(os.path.join(out, name), "rb") as f:
                out_rows += sum(1 for _ in f)
    entry = {"run": k, "outcome": r["outcome"], "elapsed_s": r["elapsed_ms"] / 1000, "wall_s": round(wall, 3),
             "batches": sum(1 for b in r["batches"] if b.get("executed", True)), "input_rows": rows,
             "output_rows": out_rows, "load": open("/proc/loadavg").read().strip()}
    show("cold run (first in this JVM)" if k == 0 else f"warm run {k}", entry)
    if k > 0:
        results.append(entry["elapsed_s"])
    shutil.rmtree(base, ignore_errors=True)
show("warm runs, median elapsed s", statistics.median(results))
d.close()
