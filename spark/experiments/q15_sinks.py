"""Extra: memory and foreach-batch sinks under crashes; what each crash position leaves behind."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q15")
T = 1_700_000_000_000


def setup(name):
    inp = d.path(name, "in")
    write(os.path.join(inp, "device_01.json"), E1, T)
    write(os.path.join(inp, "device_02.json"), E2, T + 1000)
    return inp


# A. memory sink with a checkpoint: crash, then restart
inp = setup("memory")
kw = dict(input=inp, checkpoint=d.path("memory", "cp"), plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1})
r = d.run(**kw, sink={"kind": "memory", "name": "mem1"}, crash={"log": "commits", "when": "before", "hit": 2})
show("A. memory sink, crash before commits/1", {"outcome": r["outcome"], "memory_rows": r.get("memory_rows")})
r = d.run(**kw, sink={"kind": "memory", "name": "mem2"})
show("A. restart on the same checkpoint", brief(r))
if r.get("error"):
    show("A. error", r["error"]["chain"][-1]["message"][:500])
r = d.run(**dict(kw, checkpoint=d.path("memory", "cp-complete-free")), sink={"kind": "memory", "name": "mem3"})
show("A. a memory sink run that completes", {"outcome": r["outcome"], "memory_rows": r.get("memory_rows")})

# B. foreach-batch: fails after 1 of 2 rows of batch 0, then re-run: naive and idempotent
for idem in (False, True):
    name = f"foreach-{'idempotent' if idem else 'naive'}"
    inp = setup(name)
    table = d.path(name, "table.jsonl")
    kw = dict(input=inp, checkpoint=d.path(name, "cp"), plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1})
    r = d.run(**kw, sink={"kind": "foreach-batch", "table": table, "idempotent": idem, "fail": {"batch": 0, "after_rows": 1}})
    show(f"B. {name}: fail in batch 0 after 1 row", {"outcome": r["outcome"], "crash": r["crash"]})
    show("B. error chain (classes)", [c["class"] for c in r["error"]["chain"]])
    r = d.run(**kw, sink={"kind": "foreach-batch", "table": table, "idempotent": idem})
    show(f"B. {name}: restart", brief(r))
    show(f"B. {name}: table", cat(table))

# C. foreach-batch with a checkpoint crash after the sink ran, before the commit
for idem in (False, True):
    name = f"foreach-commit-{'idempotent' if idem else 'naive'}"
    inp = setup(name)
    table = d.path(name, "table.jsonl")
    kw = dict(input=inp, checkpoint=d.path(name, "cp"), plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
              sink={"kind": "foreach-batch", "table": table, "idempotent": idem})
    r = d.run(**kw, crash={"log": "commits", "when": "before", "hit": 2})
    r = d.run(**kw)
    show(f"C. {name}: crash before commits/1, restart: table", cat(table))

# D. what each crash position leaves on disk (file sink, batch 1 of 2)
for log in ("sources", "offsets", "sink", "commits"):
    for when in ("before", "during", "after"):
        name = f"pos-{when}-{log}"
        inp = setup(name)
        cp, out = d.path(name, "cp"), d.path(name, "out")
        r = d.run(input=inp, checkpoint=cp, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
                  sink={"kind": "file", "path": out}, crash={"log": log, "when": when, "hit": 2})
        show(f"D. crash {when} {log} (hit 2): outcome {r['outcome']}, files of batch 1",
             sorted(p for p in listing(cp) + ["out/" + x for x in listing(out)] if "/1" in p or "/.1." in p or "/..1." in p))
        show("D. part files", len([x for x in os.listdir(out) if x.startswith("part-")]) if os.path.isdir(out) else 0)
d.close()
