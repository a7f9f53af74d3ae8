"""Q13: batch timestamps: batchTimestampMs vs wall clock, current_timestamp() of a re-run batch,
console and JSON rendering of timestamps."""
import sys, os, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q13")
PLAN = TUTORIAL_PLAN + [{"op": "processing-time", "as": "processing_time"}]
CONSOLE = {"kind": "console", "options": {"truncate": False}}
T = 1_700_000_000_000


def bts(cp, n):
    return json.loads(cat(os.path.join(cp, "offsets", str(n))).split("\n")[1])["batchTimestampMs"]


def iso(ms):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000)) + ".%03d" % (ms % 1000)


# A. console, crash before commits/1, restart two seconds later
inp, cp = d.path("A", "in"), d.path("A", "cp")
write(os.path.join(inp, "f0.json"), E1, T)
w0 = int(time.time() * 1000)
r = d.run(input=inp, checkpoint=cp, sink=CONSOLE, plan=PLAN)
w1 = int(time.time() * 1000)
show("A. batch 0: wall clock before the run, batchTimestampMs, wall clock after",
     {"wall_before": w0, "batchTimestampMs": bts(cp, 0), "wall_after": w1, "as UTC": iso(bts(cp, 0)),
      "progress timestamp": r["batches"][0]["timestamp"]})
show("A. console batch 0 (truncate=false)", r["console"])
write(os.path.join(inp, "f1.json"), E2, T + 1000)
r = d.run(input=inp, checkpoint=cp, sink=CONSOLE, plan=PLAN, crash={"log": "commits", "when": "before", "hit": 1})
show("A. batch 1, crash before commits/1", {"outcome": r["outcome"], "offsets/1 batchTimestampMs": bts(cp, 1), "as UTC": iso(bts(cp, 1))})
show("A. console of the crashed run", r["console"])
time.sleep(2)
r = d.run(input=inp, checkpoint=cp, sink=CONSOLE, plan=PLAN)
show("A. restart 2 s later: batch 1 re-runs", {"outcome": r["outcome"], "batches": brief(r)["batches (id, input rows)"],
                                                "offsets/1 batchTimestampMs": bts(cp, 1), "progress timestamp": r["batches"][0]["timestamp"]})
show("A. console of the re-run", r["console"])

# B. foreach-batch (non-idempotent): JSON rendering of the re-run's processing_time
inp, cp, table = d.path("B", "in"), d.path("B", "cp"), d.path("B", "table.jsonl")
write(os.path.join(inp, "f0.json"), E1, T)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "foreach-batch", "table": table}, plan=PLAN,
          crash={"log": "commits", "when": "before", "hit": 1})
time.sleep(1.5)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "foreach-batch", "table": table}, plan=PLAN)
show("B. foreach-batch table after a crash before commits/0 and a re-run", cat(table))
show("B. offsets/0 batchTimestampMs", {"ms": bts(cp, 0), "as UTC": iso(bts(cp, 0))})

# C. file sink: the JSON rendering
inp, cp, out = d.path("C", "in"), d.path("C", "cp"), d.path("C", "out")
write(os.path.join(inp, "f0.json"), E1, T)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=PLAN)
show("C. file sink part file", "".join(cat(os.path.join(out, n)) for n in os.listdir(out) if n.startswith("part-")))
show("C. offsets/0 batchTimestampMs", {"ms": bts(cp, 0), "as UTC": iso(bts(cp, 0))})

# D. how show() renders timestamps with various fractions (batch SQL; same code path as the console sink)
q = ("SELECT timestamp'2026-11-26 13:18:07' AS t0, timestamp'2026-11-26 13:18:07.030' AS t30, "
     "timestamp'2026-11-26 13:18:07.123' AS t123, timestamp'2026-11-26 13:18:07.100' AS t100, "
     "timestamp_millis(1795699087033) AS from_ms")
r = d.req({"op": "sql", "query": q, "show": {"truncate": False}})
show("D. show(truncate=false) of timestamps", r.get("console"))
show("D. the same rows as JSON (toJSON)", r.get("rows"))
r = d.req({"op": "sql", "query": q, "show": {"truncate": True}})
show("D. show(truncate=true)", r.get("console"))
r = d.req({"op": "sql", "query": "SELECT 30.0D AS a, 1e20D AS b, 0.1D AS c, 1e-4D AS d, 1234567.0D AS e, 12345678.0D AS f, CAST(NULL AS DOUBLE) AS g, 'x' AS h, CAST(NULL AS STRING) AS i",
           "show": {"truncate": False}})
show("D. doubles and NULL in show()", r.get("console"))
show("D. as JSON", r.get("rows"))
d.close()
