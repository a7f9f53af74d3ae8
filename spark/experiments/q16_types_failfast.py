"""Q16: a value of the wrong type in FAILFAST mode: does Spark stop, as it does for a malformed line?"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q16")
CASES = {
    "temperature-string": '{"eventId": "hot", "data": {"devices": [{"deviceId": "d", "temperature": "hot"}]}}',
    "devices-string": '{"eventId": "ds", "data": {"devices": "d"}}',
    "eventId-number": '{"eventId": 42, "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}',
    "temperature-int": '{"eventId": "int30", "data": {"devices": [{"deviceId": "d", "temperature": 30}]}}',
    "temperature-NaN": '{"eventId": "nan", "data": {"devices": [{"deviceId": "d", "temperature": NaN}]}}',
}
for name, line in CASES.items():
    inp = d.path(name, "in")
    write(os.path.join(inp, "f.json"), line + "\n", mtime_ms=1_700_000_000_000)
    out = d.path(name, "out")
    r = d.run(input=inp, checkpoint=d.path(name, "cp"), sink={"kind": "file", "path": out},
              plan=TUTORIAL_PLAN, source={"mode": "failfast"})
    err = r.get("error")
    show(f"{name}: FAILFAST", {"outcome": r.get("outcome"),
                               "error": (err or {}).get("message", "")[:600] if isinstance(err, dict) else str(err)[:600]})
    if os.path.isdir(out):
        for f in sorted(os.listdir(out)):
            if f.startswith("part-"):
                show(f"{name}: part file", cat(os.path.join(out, f)))
d.close()
