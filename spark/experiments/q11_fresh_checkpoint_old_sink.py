"""Q11: a fresh checkpoint pointed at a file-sink dir whose _spark_metadata already holds batches 0..2."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q11")


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


T = 1_700_000_000_000
out = d.path("out")
inp1 = d.path("in1")
for i in range(3):
    write(os.path.join(inp1, f"a{i}.json"), rec(f"a{i}"), T + i * 1000)
r = d.run(input=inp1, checkpoint=d.path("cp1"), sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1})
show("query 1: a0..a2, maxFilesPerTrigger=1, checkpoint cp1", brief(r)["batches (id, input rows)"])
show("_spark_metadata", sorted(os.listdir(os.path.join(out, "_spark_metadata"))))

# fresh checkpoint, different input: b0..b4
inp2 = d.path("in2")
for i in range(5):
    write(os.path.join(inp2, f"b{i}.json"), rec(f"b{i}"), T + i * 1000)
r = d.run(input=inp2, checkpoint=d.path("cp2"), sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN,
          source={"maxFilesPerTrigger": 1}, log_level="INFO")
show("query 2: fresh checkpoint cp2, same output dir, new input b0..b4, maxFilesPerTrigger=1", brief(r))
skips = [l for l in r["spark_log"].splitlines() if "Skipping already committed batch" in l or "skip" in l.lower() and "batch" in l.lower()]
show("Spark log lines about skipping (INFO)", skips)
show("query 2 sink numOutputRows per batch", [(b["batchId"], b["numInputRows"], (b.get("sink") or {}).get("numOutputRows")) for b in r["batches"]])
show("_spark_metadata", {k: v.count("\n") for k, v in dump_log(os.path.join(out, "_spark_metadata"), True).items()})
rows = d.read(out)["rows"]
got = sorted(x["eventId"] for x in rows)
show("reader sees", {"eventIds": got, "lost": sorted({f"b{i}" for i in range(5)} - set(got))})
show("part files on disk (not all in the log?)", sorted(n for n in os.listdir(out) if n.startswith("part-")))
show("rows on disk in part files", sorted(x["eventId"] for x in part_rows(out)))

# same input again with a fresh checkpoint: a duplicate-free rerun?
r = d.run(input=inp1, checkpoint=d.path("cp3"), sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN)
show("query 3: fresh checkpoint cp3, input a0..a2 again in one batch (batch 0, already in the log)", brief(r)["batches (id, input rows)"])
show("reader sees", sorted(x["eventId"] for x in d.read(out)["rows"]))
d.close()
