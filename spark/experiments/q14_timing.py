"""Q14: JVM start (session creation) and crash-restart-read cycles in a warm JVM (tutorial workload)."""
import sys, os, time, statistics
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

starts = []
for i in range(3):
    t0 = time.monotonic()
    d = Driver(f"q14-start{i}")
    starts.append({"jvm_start_ms (driver)": d.hello["jvm_start_ms"], "wall_ms_to_hello": d.hello["wall_ms_to_first_hello"],
                   "compiled": d.hello["compiled"]})
    if i < 2:
        d.close()
show("JVM start, 3 drivers one after another", starts)
show("median wall ms to hello", statistics.median(s["wall_ms_to_hello"] for s in starts))

T = 1_700_000_000_000
POSITIONS = [("offsets", "before"), ("offsets", "after"), ("sink", "before"), ("sink", "after"),
             ("commits", "before"), ("commits", "after")]


def cycle(tag, log, when):
    base = d.path(tag)
    inp, cp, out = os.path.join(base, "in"), os.path.join(base, "cp"), os.path.join(base, "out")
    write(os.path.join(inp, "device_01.json"), E1, T)
    write(os.path.join(inp, "device_02.json"), E2, T + 1000)
    kw = dict(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1})
    t0 = time.monotonic()
    r1 = d.run(**kw, crash={"log": log, "when": when, "hit": 2})
    t1 = time.monotonic()
    r2 = d.run(**kw)
    t2 = time.monotonic()
    rows = d.read(out)["rows"]
    t3 = time.monotonic()
    ok = r1["outcome"] == "crashed" and r2["outcome"] == "completed" and len(rows) == 3
    return {"crash_run_ms": int((t1 - t0) * 1000), "restart_ms": int((t2 - t1) * 1000), "read_ms": int((t3 - t2) * 1000),
            "cycle_ms": int((t3 - t0) * 1000), "ok": ok}


warm = cycle("warmup", "commits", "before")
show("first cycle in a fresh JVM (cold query planning)", warm)
table = {}
for log, when in POSITIONS:
    runs = [cycle(f"{log}-{when}-{k}", log, when) for k in range(5)]
    table[f"{when} {log}"] = {"median cycle ms": statistics.median(x["cycle_ms"] for x in runs),
                              "median crash run ms": statistics.median(x["crash_run_ms"] for x in runs),
                              "median restart ms": statistics.median(x["restart_ms"] for x in runs),
                              "median read ms": statistics.median(x["read_ms"] for x in runs),
                              "all exactly once": all(x["ok"] for x in runs)}
show("crash (hit 2 = batch 1 of 2) + restart + read, 5 cycles each, medians", table)
show("overall median cycle ms", statistics.median(v["median cycle ms"] for v in table.values()))
d.close()
