"""Q6: whole-file JSON (multiLine=true): an object per file, an array of objects per file, and odd files."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q06")
CASES = {
    "object-pretty": '{\n  "eventId": "obj",\n  "data": {\n    "devices": [\n      {"deviceId": "d1", "temperature": 1.0}\n    ]\n  }\n}\n',
    "array-of-objects": '[\n {"eventId": "arr1", "data": {"devices": [{"deviceId": "d1", "temperature": 1.0}]}},\n'
                        ' {"eventId": "arr2", "data": {"devices": [{"deviceId": "d2", "temperature": 2.0}]}}\n]\n',
    "json-lines-file": E1 + E2,
    "empty-file": "",
    "empty-array": "[]",
    "bom-object": "\ufeff" + '{"eventId": "bom", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}',
    "truncated": '{"eventId": "trunc", "data": {"devices": [',
    "array-with-scalar": '[{"eventId": "ok", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}, 42]',
    "object-then-garbage": '{"eventId": "og", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}} trailing',
}
PLAN = [{"op": "select", "columns": ["eventId", "to_json(data) as data", "input_file_name() as file"]}]
CONSOLE = {"kind": "console", "options": {"numRows": 1000, "truncate": False}}
for name, content in CASES.items():
    inp = d.path(name, "in")
    write(os.path.join(inp, "f.json"), content, mtime_ms=1_700_000_000_000)
    r = d.run(input=inp, checkpoint=d.path(name, "cp"), sink=CONSOLE, plan=PLAN[:1] + [{"op": "select", "columns": ["eventId", "data"]}],
              source={"format": "whole-file"})
    show(f"CASE {name}: {content[:120]!r}")
    show("permissive", brief(r))
    show("console", r["console"])
    r = d.run(input=inp, checkpoint=d.path(name, "cp-f"), sink=CONSOLE, plan=PLAN[:1] + [{"op": "select", "columns": ["eventId", "data"]}],
              source={"format": "whole-file", "mode": "failfast"})
    if r["outcome"] != "completed":
        show("failfast: " + r["outcome"], [c["class"] + ": " + (c["message"] or "")[:400] for c in r["error"]["chain"][1:]])
    else:
        show("failfast: completed", r["console"])

# all in one directory, whole-file, tutorial plan, file sink
inp = d.path("all", "in")
for i, (name, content) in enumerate(CASES.items()):
    if name in ("object-pretty", "array-of-objects"):
        write(os.path.join(inp, name + ".json"), content, mtime_ms=1_700_000_000_000 + i)
r = d.run(input=inp, checkpoint=d.path("all", "cp"), sink={"kind": "file", "path": d.path("all", "out")}, plan=TUTORIAL_PLAN,
          source={"format": "whole-file"})
show("object + array files, tutorial plan, file sink", brief(r))
show("reader sees", d.read(d.path("all", "out"))["rows"])
d.close()
