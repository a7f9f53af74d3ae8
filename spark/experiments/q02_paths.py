"""Q2: special characters in input file names and in the output dir: exact strings in the logs."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q02")
names = ["my file.json", "100%.json", "my%20file.json", "a#b.json", "a+b.json", "é.json", "日本.json",
         "a?b.json", "[x].json", "{y}.json", "a*b.json"]
inp, cp, out = d.path("in dir"), d.path("cp dir"), d.path("out dir é")
for i, n in enumerate(names):
    write(os.path.join(inp, n), '{"eventId": "%s", "data": {"devices": [{"deviceId": "d%d", "temperature": %d.0}]}}\n' % (n, i, i),
          mtime_ms=1_700_000_000_000 + i * 1000)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN)
show("run 1", brief(r))
show("sources/0/0", cat(os.path.join(cp, "sources", "0", "0")))
show("_spark_metadata/0", cat(os.path.join(out, "_spark_metadata", "0")))
show("output dir listing", listing(out))
rows = d.read(out)
show("reader sees (eventId = input file name)", sorted(r["eventId"] for r in rows["rows"]))
show("reader input files", rows.get("files"))
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN)
show("run 2, nothing new (is anything reprocessed?)", brief(r))

# a colon in the name: Hadoop's Path cannot take it as a relative name
inp2 = d.path("in2")
write(os.path.join(inp2, "a:b.json"), E1, mtime_ms=1_700_000_000_000)
r = d.run(input=inp2, checkpoint=d.path("cp2"), sink={"kind": "file", "path": d.path("out2")}, plan=TUTORIAL_PLAN)
show("colon in a file name", brief(r))
if r.get("error"):
    show("error chain", [c["class"] + ": " + (c["message"] or "")[:300] for c in r["error"]["chain"]])
if os.path.exists(os.path.join(d.path("cp2"), "sources", "0", "0")):
    show("sources/0/0", cat(os.path.join(d.path("cp2"), "sources", "0", "0")))
r = d.run(input=inp2, checkpoint=d.path("cp2"), sink={"kind": "file", "path": d.path("out2")}, plan=TUTORIAL_PLAN)
show("colon: restart", brief(r))

# Glob metacharacters: a file named with * ? [ ] { } in a batch with other files
cases = {"star": ["plain.json", "other.json", "a*b.json"], "question": ["plain.json", "other.json", "a?b.json"],
         "bracket": ["x.json", "plain.json", "[x].json"], "brace": ["plain.json", "other.json", "{y}.json"],
         "star, maxFilesPerTrigger=1": ["plain.json", "other.json", "a*b.json"]}
for i, (c, names) in enumerate(cases.items()):
    inp = d.path(f"glob{i}", "in")
    for j, n in enumerate(names):
        write(os.path.join(inp, n), '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n,
              mtime_ms=1_700_000_000_000 + j * 1000)
    r = d.run(input=inp, checkpoint=d.path(f"glob{i}", "cp"), sink={"kind": "file", "path": d.path(f"glob{i}", "out")},
              plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1 if "=1" in c else None})
    show(f"glob case {c}: files {names}; batches (id, rows) {brief(r)['batches (id, input rows)']}; reader sees",
         sorted(x["eventId"] for x in d.read(d.path(f"glob{i}", "out"))["rows"]))
d.close()
