"""Q9: modification times: ties, files older than those already processed, maxFileAge (7 days)."""
import sys, os, time
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q09")
DAY = 86_400_000


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


def entries(cp):
    out = {}
    for k, v in dump_log(os.path.join(cp, "sources", "0"), True).items():
        out[k] = [(os.path.basename(json.loads(l)["path"]), json.loads(l)["timestamp"]) for l in v.split("\n")[1:]]
    return out


# A. equal mtimes, maxFilesPerTrigger=1, created in the order b, c, a
T = 1_700_000_000_000
inp = d.path("tie", "in")
for n in ["b", "c", "a", "e", "d"]:
    write(os.path.join(inp, n + ".json"), rec(n), T)
show("A. directory order (os.listdir)", os.listdir(inp))
r = d.run(input=inp, checkpoint=d.path("tie", "cp"), sink={"kind": "console"}, plan=TUTORIAL_PLAN,
          source={"maxFilesPerTrigger": 1})
show("A. five files with one mtime, maxFilesPerTrigger=1", brief(r))
show("A. sources/0", entries(d.path("tie", "cp")))
r = d.run(input=inp, checkpoint=d.path("tie", "cp2"), sink={"kind": "console"}, plan=TUTORIAL_PLAN,
          source={"maxFilesPerTrigger": 2})
show("A2. same, maxFilesPerTrigger=2", entries(d.path("tie", "cp2")))

# B. older files after newer ones were processed, each in a new run (restart)
for variant, mfpt in (("B", None), ("C", 1)):
    inp, cp = d.path(variant, "in"), d.path(variant, "cp")
    now = int(time.time() * 1000)
    write(os.path.join(inp, "new1.json"), rec("new1"), now - 5000)
    write(os.path.join(inp, "new2.json"), rec("new2"), now)
    r = d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": mfpt})
    show(f"{variant}. (maxFilesPerTrigger={mfpt}) run 1: new1, new2 (mtime now)", brief(r)["batches (id, input rows)"])
    write(os.path.join(inp, "older_1min.json"), rec("older_1min"), now - 60_000)
    r = d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": mfpt})
    show(f"{variant}. run 2: older_1min.json (mtime now - 1 min) added", brief(r)["batches (id, input rows)"])
    write(os.path.join(inp, "older_6days.json"), rec("older_6days"), now - 6 * DAY)
    write(os.path.join(inp, "older_8days.json"), rec("older_8days"), now - 8 * DAY)
    r = d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": mfpt})
    show(f"{variant}. run 3: older_6days and older_8days added", brief(r)["batches (id, input rows)"])
    show(f"{variant}. console of run 3", r["console"])
    show(f"{variant}. sources/0", entries(cp))

# D. a fresh checkpoint over files spanning 10 days
inp, cp = d.path("D", "in"), d.path("D", "cp")
now = int(time.time() * 1000)
write(os.path.join(inp, "old10d.json"), rec("old10d"), now - 10 * DAY)
write(os.path.join(inp, "new.json"), rec("new"), now)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN)
show("D. fresh checkpoint, files 10 days apart", brief(r)["batches (id, input rows)"])
show("D. sources/0", entries(cp))
inp, cp = d.path("D2", "in"), d.path("D2", "cp")
write(os.path.join(inp, "old10d.json"), rec("old10d"), now - 10 * DAY)
write(os.path.join(inp, "new.json"), rec("new"), now)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1})
show("D2. same, maxFilesPerTrigger=1", brief(r)["batches (id, input rows)"])
show("D2. sources/0", entries(cp))

# E. same file rewritten with a newer mtime (seen path): ignored?
inp, cp = d.path("E", "in"), d.path("E", "cp")
write(os.path.join(inp, "f.json"), rec("v1"), now - 1000)
d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN)
write(os.path.join(inp, "f.json"), rec("v2"), now)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "console"}, plan=TUTORIAL_PLAN)
show("E. seen path rewritten with new content and a newer mtime", brief(r)["batches (id, input rows)"])
d.close()
