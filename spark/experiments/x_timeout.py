"""Driver robustness: a query that does not finish within timeout_ms is stopped; the driver stays usable."""
import sys, os, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("x_timeout")
inp = d.path("in")
write(os.path.join(inp, "a.json"), E1, 1_700_000_000_000)
write(os.path.join(inp, "b.json"), E2, 1_700_000_001_000)
kw = dict(input=inp, checkpoint=d.path("cp"), plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1})
for trig in ("available-now", {"processing-time-ms": 100}):
    cp = d.path("cp-" + ("an" if trig == "available-now" else "pt"))
    t0 = time.monotonic()
    r = d.run(**dict(kw, checkpoint=cp), trigger=trig, timeout_ms=3000,
              sink={"kind": "foreach-batch", "table": d.path("t.jsonl"), "sleep_ms": 8000})
    show(f"trigger {trig}: a sink that sleeps 8 s per batch, timeout 3 s",
         {k: r.get(k) for k in ("outcome", "zombie", "stop_error", "elapsed_ms")} | {"wall_ms": int((time.monotonic() - t0) * 1000),
                                                                                   "error": (r.get("error") or {}).get("message", "")[:200]})
    show("checkpoint after", listing(cp))
    r = d.run(**dict(kw, checkpoint=cp), trigger="available-now", sink={"kind": "foreach-batch", "table": d.path("t2.jsonl")})
    show("then a normal run on the same checkpoint", brief(r))
show("hello still answers", d.req({"op": "hello"})["ok"])
time.sleep(9)
show("the timed-out runs' foreach-batch table, 9 s later (a cancelled batch writes nothing)",
     cat(d.path("t.jsonl")) if os.path.exists(d.path("t.jsonl")) else "(no file)")
d.close()

# a batch that outlives stop's own timeout (15 s): the query is abandoned as a zombie
d = Driver("x_timeout2")
inp = d.path("in")
write(os.path.join(inp, "a.json"), E1, 1_700_000_000_000)
t0 = time.monotonic()
r = d.run(input=inp, checkpoint=d.path("cp"), plan=TUTORIAL_PLAN, timeout_ms=2000,
          sink={"kind": "foreach-batch", "table": d.path("t.jsonl"), "sleep_ms": 40000})
show("a sink that sleeps 40 s, timeout 2 s, stopTimeout 15 s",
     {k: r.get(k) for k in ("outcome", "zombie", "elapsed_ms")} | {"stop_error": ((r.get("stop_error") or {}).get("chain") or [{}])[-1]})
r = d.run(input=inp, checkpoint=d.path("cp2"), plan=TUTORIAL_PLAN, sink={"kind": "console"})
show("the next run (another checkpoint) in the same driver", brief(r))
t0 = time.monotonic()
d.close()
show("shutdown with a zombie took ms", int((time.monotonic() - t0) * 1000))
