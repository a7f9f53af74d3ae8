"""Q8: invalid maxFilesPerTrigger values: exact errors."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q08")
inp = d.path("in")
write(os.path.join(inp, "a.json"), E1, 1_700_000_000_000)
write(os.path.join(inp, "b.json"), E2, 1_700_000_001_000)
for i, v in enumerate([0, -1, "abc", 1.5, "", " 2", "2 ", 10**12]):
    r = d.run(input=inp, checkpoint=d.path(f"cp{i}"), sink={"kind": "console"}, plan=TUTORIAL_PLAN,
              source={"maxFilesPerTrigger": v})
    show(f"maxFilesPerTrigger={v!r}", brief(r))
    if r.get("error"):
        show("error", {"stage": r["error"].get("stage", "query"), "chain": [c["class"] + ": " + (c["message"] or "")[:600] for c in r["error"]["chain"]]})
    show("checkpoint files", listing(d.path(f"cp{i}")) if os.path.exists(d.path(f"cp{i}")) else "none")
# maxFileAge invalid too
r = d.run(input=inp, checkpoint=d.path("cp-age"), sink={"kind": "console"}, plan=TUTORIAL_PLAN, source={"options": {"maxFileAge": "abc"}})
show("maxFileAge='abc'", brief(r))
if r.get("error"):
    show("error", [c["class"] + ": " + (c["message"] or "")[:600] for c in r["error"]["chain"]])
d.close()
