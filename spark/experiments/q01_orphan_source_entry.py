"""Q1: crash after sources/0/N, before offsets/N; restart; one more batch.

Variants:
  A  no new file before the restart;
  B  a new file added before the restart;
  C  as B, with maxFilesPerTrigger=1.
Each: file sink; checks the rows a reader sees against the expected multiset.
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

E3 = '{"eventId": "e4", "data": {"devices": [{"deviceId": "d4", "temperature": 25.0}]}}\n'
E4 = '{"eventId": "e5", "data": {"devices": [{"deviceId": "d5", "temperature": 26.0}]}}\n'

d = Driver("q01")


def state(v):
    cp = d.path(v, "cp")
    return {"sources/0": dump_log(os.path.join(cp, "sources", "0"), True),
            "offsets (last line)": {k: c.split("\n")[-1] for k, c in dump_log(os.path.join(cp, "offsets"), True).items()},
            "commits": sorted(dump_log(os.path.join(cp, "commits"), True)),
            "_spark_metadata": dump_log(d.path(v, "out", "_spark_metadata"), True)}


def variant(v, new_before_restart, mfpt):
    show(f"VARIANT {v}: new file before restart={new_before_restart}, maxFilesPerTrigger={mfpt}")
    inp, cp, out = d.path(v, "in"), d.path(v, "cp"), d.path(v, "out")
    common = dict(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN,
                  source={"maxFilesPerTrigger": mfpt})
    write(os.path.join(inp, "f1.json"), E1, mtime_ms=1_700_000_000_000)
    r = d.run(**common)
    show("run 1 (f1)", brief(r))
    write(os.path.join(inp, "f2.json"), E2, mtime_ms=1_700_000_001_000)
    r = d.run(**common, crash={"log": "offsets", "when": "before", "hit": 1})
    show("run 2 (f2 added; crash offsets before hit 1)", brief(r))
    show("state after the crash", state(v))
    if new_before_restart:
        write(os.path.join(inp, "f3.json"), E3, mtime_ms=1_700_000_002_000)
    r = d.run(**common)
    show("run 3 (restart" + (", f3 added before it" if new_before_restart else "") + ")", brief(r))
    show("state after the restart", state(v))
    write(os.path.join(inp, "f4.json"), E4, mtime_ms=1_700_000_003_000)
    r = d.run(**common)
    show("run 4 (f4 added: one more batch)", brief(r))
    show("state after one more batch", state(v))
    seen = d.read(out)["rows"]
    expected = [{"eventId": "e1", "device_id": "d1", "temp": 21.5}, {"eventId": "e1", "device_id": "d2", "temp": 19.0},
                {"eventId": "e2", "device_id": "d3", "temp": 30.0}, {"eventId": "e5", "device_id": "d5", "temp": 26.0}]
    if new_before_restart:
        expected.append({"eventId": "e4", "device_id": "d4", "temp": 25.0})
    show("reader sees", sorted(seen, key=lambda r: (r["eventId"], r["device_id"])))
    show("exactly once? " + str(key(seen) == key(expected)))


variant("A", False, None)
variant("B", True, None)
variant("C", True, 1)

# D. the same crash twice in a row, a new file each time: does the shift grow?
show("VARIANT D: two orphan entries in a row (crash offsets before, new file each time), then a clean restart")
inp, cp, out = d.path("D", "in"), d.path("D", "cp"), d.path("D", "out")
kw = dict(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN)
write(os.path.join(inp, "f1.json"), E1, mtime_ms=1_700_000_000_000)
d.run(**kw)
write(os.path.join(inp, "f2.json"), E2, mtime_ms=1_700_000_001_000)
show("crash 1", brief(d.run(**kw, crash={"log": "offsets", "when": "before", "hit": 1})))
write(os.path.join(inp, "f3.json"), E3, mtime_ms=1_700_000_002_000)
show("crash 2", brief(d.run(**kw, crash={"log": "offsets", "when": "before", "hit": 1})))
show("state after two crashes", state("D"))
write(os.path.join(inp, "f4.json"), E4, mtime_ms=1_700_000_003_000)
show("clean restart", brief(d.run(**kw)))
write(os.path.join(inp, "f5.json"), E4.replace("e5", "e6").replace("d5", "d6"), mtime_ms=1_700_000_004_000)
show("one more batch", brief(d.run(**kw)))
show("state", state("D"))
got = sorted(x["eventId"] for x in d.read(out)["rows"])
show("reader sees", {"eventIds": got, "exactly once": got == ["e1", "e1", "e2", "e4", "e5", "e6"]})
d.close()
