"""Q18: processing time under maxFilesPerTrigger: does a batch keep the files it leaves (Spark's
unreadFiles), so that a file written during batch 0, older than the kept ones, waits for them?"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q18")


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


def sources(cp):
    return {k: [l for l in v.split("\n")[1:]] for k, v in dump_log(os.path.join(cp, "sources", "0"), True).items()}


T0 = 1_700_000_000_000
inp = d.path("pt", "in")
for i in range(3):
    write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}"), mtime_ms=T0 + i * 2000)
table = d.path("pt", "table.jsonl")
late = {"batch": 0, "write": os.path.join(inp, "late.json"), "content": rec("late"), "mtime_ms": T0 + 1000}
r = d.run(input=inp, checkpoint=d.path("pt", "cp"), plan=TUTORIAL_PLAN, trigger={"processing-time-ms": 0},
          source={"maxFilesPerTrigger": 1},
          sink={"kind": "foreach-batch", "table": table, "idempotent": False, "on_batch": [late]})
show("A. processingTime 0, maxFilesPerTrigger=1; late.json (older than f1) written during batch 0", brief(r))
show("A. sources/0", sources(d.path("pt", "cp")))
d.close()
