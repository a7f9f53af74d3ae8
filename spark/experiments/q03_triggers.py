"""Q3: Trigger.Once vs maxFilesPerTrigger; availableNow and files added during the run; processing time."""
import sys, os, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q03")


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


def sources(cp):
    return {k: [l for l in v.split("\n")[1:]] for k, v in dump_log(os.path.join(cp, "sources", "0"), True).items()}


# A. Trigger.Once, maxFilesPerTrigger=1, 3 files
inp = d.path("once", "in")
for i in range(3):
    write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}"), mtime_ms=1_700_000_000_000 + i * 1000)
r = d.run(input=inp, checkpoint=d.path("once", "cp"), sink={"kind": "console"}, plan=TUTORIAL_PLAN,
          trigger="once", source={"maxFilesPerTrigger": 1})
show("A. once + maxFilesPerTrigger=1, 3 files", brief(r))
show("A. sources/0", sources(d.path("once", "cp")))
show("A. console", r["console"])
r = d.run(input=inp, checkpoint=d.path("once", "cp"), sink={"kind": "console"}, plan=TUTORIAL_PLAN,
          trigger="once", source={"maxFilesPerTrigger": 1})
show("A2. once again, nothing new", brief(r))

# B. availableNow, maxFilesPerTrigger=1, 3 files, a 4th written by foreachBatch during batch 0
inp = d.path("an", "in")
for i in range(3):
    write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}"), mtime_ms=1_700_000_000_000 + i * 1000)
table = d.path("an", "table.jsonl")
r = d.run(input=inp, checkpoint=d.path("an", "cp"), plan=TUTORIAL_PLAN, trigger="available-now",
          source={"maxFilesPerTrigger": 1},
          sink={"kind": "foreach-batch", "table": table, "idempotent": False,
                "on_batch": [{"batch": 0, "write": os.path.join(inp, "late.json"), "content": rec("late")}]})
show("B. availableNow + maxFilesPerTrigger=1; late.json written during batch 0", brief(r))
show("B. foreach-batch events", r["foreach_batch"])
show("B. sources/0", sources(d.path("an", "cp")))
show("B. table", cat(table))
r = d.run(input=inp, checkpoint=d.path("an", "cp"), plan=TUTORIAL_PLAN, trigger="available-now",
          source={"maxFilesPerTrigger": 1}, sink={"kind": "foreach-batch", "table": table, "idempotent": False})
show("B2. availableNow again", brief(r))
show("B2. sources/0", sources(d.path("an", "cp")))

# B3. availableNow without a limit
inp = d.path("an3", "in")
for i in range(3):
    write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}"), mtime_ms=1_700_000_000_000 + i * 1000)
r = d.run(input=inp, checkpoint=d.path("an3", "cp"), plan=TUTORIAL_PLAN, trigger="available-now", sink={"kind": "console"})
show("B3. availableNow, no limit, 3 files", brief(r))

# C. processing time 500 ms, maxFilesPerTrigger=1, 3 files; then a file added, run again
inp = d.path("pt", "in")
for i in range(3):
    write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}"), mtime_ms=1_700_000_000_000 + i * 1000)
t0 = time.time()
r = d.run(input=inp, checkpoint=d.path("pt", "cp"), plan=TUTORIAL_PLAN, trigger={"processing-time-ms": 500},
          source={"maxFilesPerTrigger": 1}, sink={"kind": "console"})
show("C. processingTime 500 ms, maxFilesPerTrigger=1, 3 files", brief(r))
show("C. batch timestamps and durations",
     [(b["batchId"], b["timestamp"], b["durationMs"].get("triggerExecution")) for b in r["batches"]])
cp = d.path("pt", "cp")
show("C. offsets batchTimestampMs",
     {k: json.loads(v.split("\n")[1])["batchTimestampMs"] for k, v in dump_log(os.path.join(cp, "offsets"), True).items()})
r = d.run(input=inp, checkpoint=cp, plan=TUTORIAL_PLAN, trigger={"processing-time-ms": 500},
          source={"maxFilesPerTrigger": 1}, sink={"kind": "console"})
show("C2. processingTime again, nothing new", brief(r))
r = d.run(input=inp, checkpoint=d.path("pt0", "cp"), plan=TUTORIAL_PLAN, trigger={"processing-time-ms": 0},
          source={"maxFilesPerTrigger": 1}, sink={"kind": "console"})
show("C3. processingTime 0 (back to back), 3 files", brief(r))
show("C3. batch timestamps", [(b["batchId"], b["timestamp"]) for b in r["batches"]])
d.close()
