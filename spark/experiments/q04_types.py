"""Q4: values of the wrong type, special numbers, nulls: what rows come out (console and file sink)."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q04")
LINES = [
    '{"eventId": "hot", "data": {"devices": [{"deviceId": "d", "temperature": "hot"}]}}',
    '{"eventId": "int30", "data": {"devices": [{"deviceId": "d", "temperature": 30}]}}',
    '{"eventId": "str30", "data": {"devices": [{"deviceId": "d", "temperature": "30"}]}}',
    '{"eventId": "str30.5", "data": {"devices": [{"deviceId": "d", "temperature": "30.5"}]}}',
    '{"eventId": "true", "data": {"devices": [{"deviceId": "d", "temperature": true}]}}',
    '{"eventId": "null", "data": {"devices": [{"deviceId": "d", "temperature": null}]}}',
    '{"eventId": "missing", "data": {"devices": [{"deviceId": "d"}]}}',
    '{"eventId": "devices-object", "data": {"devices": {"deviceId": "d", "temperature": 1.0}}}',
    '{"eventId": "devices-string", "data": {"devices": "d"}}',
    '{"eventId": "devices-null", "data": {"devices": null}}',
    '{"eventId": "no-data"}',
    '{"eventId": 42, "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}',
    '{"eventId": {"a": 1}, "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}',
    '{"eventId": ["x"], "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}',
    '{"eventId": "extra", "more": 1, "data": {"devices": [{"deviceId": "d", "temperature": 1.0, "unit": "C"}], "x": 2}}',
    '{"eventId": "1e400", "data": {"devices": [{"deviceId": "d", "temperature": 1e400}]}}',
    '{"eventId": "NaN", "data": {"devices": [{"deviceId": "d", "temperature": NaN}]}}',
    '{"eventId": "Infinity", "data": {"devices": [{"deviceId": "d", "temperature": Infinity}]}}',
    '{"eventId": "-Infinity", "data": {"devices": [{"deviceId": "d", "temperature": -Infinity}]}}',
    '{"eventId": "str-NaN", "data": {"devices": [{"deviceId": "d", "temperature": "NaN"}]}}',
    '{"eventId": "str-Infinity", "data": {"devices": [{"deviceId": "d", "temperature": "Infinity"}]}}',
    '{"eventId": "30.0", "data": {"devices": [{"deviceId": "d", "temperature": 30.0}]}}',
    '{"eventId": "1e20", "data": {"devices": [{"deviceId": "d", "temperature": 1e20}]}}',
    '{"eventId": "1e7", "data": {"devices": [{"deviceId": "d", "temperature": 1e7}]}}',
    '{"eventId": "1234567.0", "data": {"devices": [{"deviceId": "d", "temperature": 1234567.0}]}}',
    '{"eventId": "0.1", "data": {"devices": [{"deviceId": "d", "temperature": 0.1}]}}',
    '{"eventId": "0.001", "data": {"devices": [{"deviceId": "d", "temperature": 0.001}]}}',
    '{"eventId": "0.0001", "data": {"devices": [{"deviceId": "d", "temperature": 0.0001}]}}',
    '{"eventId": "-0.0", "data": {"devices": [{"deviceId": "d", "temperature": -0.0}]}}',
    '{"eventId": "1.7976931348623157e308", "data": {"devices": [{"deviceId": "d", "temperature": 1.7976931348623157e308}]}}',
    '{"eventId": "123456789012345678901234567890", "data": {"devices": [{"deviceId": "d", "temperature": 123456789012345678901234567890}]}}',
    '{"eventId": "0.1+0.2", "data": {"devices": [{"deviceId": "d", "temperature": 0.30000000000000004}]}}',
    '{"eventId": "deviceId-number", "data": {"devices": [{"deviceId": 7, "temperature": 1.0}]}}',
    '{"eventId": "unicode-é", "data": {"devices": [{"deviceId": "日本\\u00e9\\n\\"q\\"", "temperature": 1.0}]}}',
    '{"eventId": "dup-key", "data": {"devices": [{"deviceId": "d", "temperature": 1.0, "temperature": 2.0}]}}',
    '{"eventId": "case", "data": {"devices": [{"DeviceId": "d", "Temperature": 1.0}]}}',
]
inp = d.path("in")
# one file per line so that each record's fate is easy to see, and all lines in one file
write(os.path.join(inp, "all.json"), "\n".join(LINES) + "\n", mtime_ms=1_700_000_000_000)

r = d.run(input=inp, checkpoint=d.path("cp-console"), sink={"kind": "console", "options": {"numRows": 1000, "truncate": False}},
          plan=TUTORIAL_PLAN)
show("console (tutorial plan, numRows=1000, truncate=false)", brief(r))
show("console text", r["console"])
r = d.run(input=inp, checkpoint=d.path("cp-console-default"), sink={"kind": "console"}, plan=TUTORIAL_PLAN)
show("console text with the console sink's defaults (numRows=20, truncate=true)", r["console"])

r = d.run(input=inp, checkpoint=d.path("cp-raw"), sink={"kind": "console", "options": {"numRows": 1000, "truncate": False}}, plan=[])
show("console, no plan (raw parsed records)", r["console"])

out = d.path("out")
r = d.run(input=inp, checkpoint=d.path("cp-file"), sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN)
show("file sink", brief(r))
for name in sorted(os.listdir(out)):
    if name.startswith("part-"):
        show(f"part file bytes: {name}", repr(open(os.path.join(out, name), "rb").read().decode("utf-8")))
rd = d.read(out)
show("reader sees (spark.read.json, inferred schema)", {"columns": rd["columns"], "rows": rd["rows"]})

# the processing time column: console and JSON rendering of a timestamp
plan_t = TUTORIAL_PLAN + [{"op": "processing-time", "as": "processing_time"}]
inp2 = d.path("in2")
write(os.path.join(inp2, "a.json"), E1, mtime_ms=1_700_000_000_000)
r = d.run(input=inp2, checkpoint=d.path("cp-ts"), sink={"kind": "console"}, plan=plan_t)
show("console with processing_time", r["console"])
r = d.run(input=inp2, checkpoint=d.path("cp-ts-file"), sink={"kind": "file", "path": d.path("out-ts")}, plan=plan_t)
for name in sorted(os.listdir(d.path("out-ts"))):
    if name.startswith("part-"):
        show(f"JSON with processing_time: {name}", cat(os.path.join(d.path("out-ts"), name)))
d.close()
