"""Q5: input bytes: BOM, CRLF, blank/whitespace lines, no final newline, empty file, non-UTF-8,
malformed lines (permissive, failfast), top-level arrays and scalars, deep nesting, very long lines."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q05")
A = b'{"eventId": "a", "data": {"devices": [{"deviceId": "d1", "temperature": 1.0}]}}'
B = b'{"eventId": "b", "data": {"devices": [{"deviceId": "d2", "temperature": 2.0}]}}'


def deep(n):
    return b'{"eventId": "deep%d", "x": ' % n + b'[' * n + b']' * n + b', "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}'


def longstr(mb):
    return b'{"eventId": "' + b'x' * (mb * 1024 * 1024) + b'", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}'


def manydevices(mb):
    dev = b'{"deviceId": "d", "temperature": 1.0},'
    n = mb * 1024 * 1024 // len(dev)
    return b'{"eventId": "many", "data": {"devices": [' + dev * (n - 1) + dev[:-1] + b']}}'


CASES = {
    "bom": b"\xef\xbb\xbf" + A + b"\n" + B + b"\n",
    "crlf": A + b"\r\n" + B + b"\r\n",
    "blank-lines": b"\n\n" + A + b"\n\n\n" + B + b"\n\n",
    "whitespace-line": A + b"\n   \t  \n" + B + b"\n",
    "no-final-newline": A + b"\n" + B,
    "empty-file": b"",
    "only-newlines": b"\n\n\n",
    "non-utf8-in-string": b'{"eventId": "x\xffy", "data": {"devices": [{"deviceId": "d\xe9", "temperature": 1.0}]}}\n' + B + b"\n",
    "non-utf8-garbage-line": b"\xff\xfe\xfa\n" + B + b"\n",
    "latin1-file": '{"eventId": "caf\u00e9", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n'.encode("latin-1"),
    "utf16-file": ('{"eventId": "u16", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n').encode("utf-16"),
    "malformed-truncated": A + b'\n{"eventId": "bad", "data": {"devices": [{"deviceId": "d", "temp\n' + B + b"\n",
    "malformed-trailing-garbage": A + b' garbage\n' + B + b"\n",
    "malformed-trailing-comma": b'{"eventId": "tc", "data": {"devices": [{"deviceId": "d", "temperature": 1.0},]}}\n' + B + b"\n",
    "single-quotes": b"{'eventId': 'sq', 'data': {'devices': [{'deviceId': 'd', 'temperature': 1.0}]}}\n",
    "unquoted-names": b'{eventId: "uq", data: {devices: [{deviceId: "d", temperature: 1.0}]}}\n',
    "comment": b'/* c */ {"eventId": "cm", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n',
    "two-objects-one-line": A + b" " + B + b"\n",
    "top-level-array": b"[" + A + b", " + B + b"]\n",
    "top-level-empty-array": b"[]\n" + B + b"\n",
    "top-level-scalars": b'42\n"str"\nnull\ntrue\n' + B + b"\n",
    "empty-object": b"{}\n" + B + b"\n",
    "deep-900": deep(900) + b"\n" + B + b"\n",
    "deep-1100": deep(1100) + b"\n" + B + b"\n",
    "deep-5000": deep(5000) + b"\n" + B + b"\n",
    "long-string-10MB": longstr(10) + b"\n" + B + b"\n",
    "long-string-30MB": longstr(30) + b"\n" + B + b"\n",
    "long-line-10MB-many-devices": manydevices(10) + b"\n" + B + b"\n",
}
PLAN = [{"op": "select", "columns": ["substring(eventId, 1, 24) as eventId", "length(eventId) as eventId_len",
                                     "size(data.devices) as n_devices",
                                     "substring(to_json(data), 1, 60) as data"]}]
CONSOLE = {"kind": "console", "options": {"numRows": 1000, "truncate": False}}
only = sys.argv[1:]
for i, (name, content) in enumerate(CASES.items()):
    if only and name not in only:
        continue
    inp = d.path(name, "in")
    write(os.path.join(inp, "f.json"), content, mtime_ms=1_700_000_000_000)
    big = len(content) > 1_000_000
    r = d.run(input=inp, checkpoint=d.path(name, "cp-p"), sink=CONSOLE, plan=PLAN, timeout_ms=300_000,
              log_level="WARN")
    show(f"CASE {name} ({len(content)} bytes){'' if big else ': ' + repr(content[:200])}")
    show("permissive", brief(r))
    show("permissive console", r["console"])
    if r["spark_log"].strip():
        show("permissive Spark log at WARN", r["spark_log"][:3000])
    r2 = d.run(input=inp, checkpoint=d.path(name, "cp-t"), sink={"kind": "console"}, plan=TUTORIAL_PLAN, timeout_ms=300_000)
    show("permissive, tutorial plan: output rows per batch", [(b["batchId"], (b.get("sink") or {}).get("numOutputRows")) for b in r2["batches"]])
    r = d.run(input=inp, checkpoint=d.path(name, "cp-f"), sink=CONSOLE, plan=PLAN, source={"mode": "failfast"}, timeout_ms=300_000)
    if r["outcome"] == "completed":
        show("failfast: completed, console", r["console"])
    else:
        show("failfast: " + r["outcome"], [c["class"] + ": " + (c["message"] or "")[:700] for c in r["error"]["chain"]])

# the corrupt-record column, when the schema asks for it
name = "malformed-truncated"
if not only or name in only:
    r = d.run(input=d.path(name, "in"), checkpoint=d.path(name, "cp-c"), sink=CONSOLE, plan=[],
              schema="eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>, _corrupt_record STRING")
    show("malformed-truncated with a _corrupt_record column in the schema", r["console"])
d.close()
