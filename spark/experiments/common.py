"""Shared helpers for the experiments: a client for driver.py, and file/checkpoint utilities.

Every experiment starts one driver (one warm JVM) and sends it requests over the line protocol,
exactly as crashpoint will.
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.dirname(HERE)
sys.path.insert(0, WORK)
from sparkpython import spark_python  # noqa: E402

PY = spark_python()
ROOT = os.environ.get("CRASHPOINT_EXP_ROOT", "/tmp/crashpoint-exp")

E1 = '{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}, {"deviceId": "d2", "temperature": 19.0}]}}\n'
E2 = ('{"eventId": "e2", "data": {"devices": [{"deviceId": "d3", "temperature": 30.0}]}}\n'
      '{"eventId": "e3", "data": {"devices": []}}\n')

TUTORIAL_PLAN = [
    {"op": "explode", "column": "data.devices", "as": "device"},
    {"op": "select", "columns": ["eventId", "device.deviceId as device_id", "device.temperature as temp"]},
]


class Driver:
    def __init__(self, name):
        self.dir = os.path.join(ROOT, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [PY, os.path.join(WORK, "driver.py"), "--java-src", os.path.join(WORK, "java"),
             "--classes", os.path.join(ROOT, "classes"), "--log-dir", os.path.join(self.dir, "logs")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        self.hello = self.req({"op": "hello"})
        self.hello["wall_ms_to_first_hello"] = int((time.monotonic() - t0) * 1000)

    def req(self, obj):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("driver died")
        return json.loads(line)

    def run(self, **kw):
        r = self.req({"op": "run", **kw})
        if not r.get("ok"):
            raise RuntimeError(f"driver error: {r}")
        return r

    def read(self, path, schema=None):
        r = self.req({"op": "read-file-sink", "path": path, **({"schema": schema} if schema else {})})
        return r

    def close(self):
        try:
            self.req({"op": "shutdown"})
        except Exception:
            pass
        self.proc.wait(timeout=60)

    def path(self, *parts):
        return os.path.join(self.dir, *parts)


def write(path, content, mtime_ms=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(content, bytes) else "w"
    with open(path, mode, **({} if mode == "wb" else {"encoding": "utf-8", "newline": ""})) as f:
        f.write(content)
    if mtime_ms is not None:
        os.utime(path, (mtime_ms / 1000, mtime_ms / 1000))


def cat(path):
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="backslashreplace")


def listing(root):
    """Every file under root (relative), .crc included, sorted."""
    out = []
    for d, _, files in os.walk(root):
        for f in files:
            out.append(os.path.relpath(os.path.join(d, f), root))
    return sorted(out)


def dump_log(dirpath, only_batch_files=False):
    """{name: content} for a metadata log directory."""
    out = {}
    if not os.path.isdir(dirpath):
        return out
    for name in sorted(os.listdir(dirpath), key=lambda n: (len(n), n)):
        if only_batch_files and (name.startswith(".")):
            continue
        p = os.path.join(dirpath, name)
        if os.path.isfile(p):
            out[name] = cat(p)
    return out


def show(title, value=None):
    print(f"\n### {title}")
    if value is None:
        return
    if isinstance(value, str):
        print(value.rstrip("\n"))
    else:
        text = json.dumps(value, ensure_ascii=False)
        print(text if len(text) <= 160 else json.dumps(value, indent=1, ensure_ascii=False))


def brief(r):
    """The essentials of a run response."""
    keep = {k: r.get(k) for k in ("outcome", "crash", "hits", "elapsed_ms")}
    keep["batches (id, input rows)"] = [(b.get("batchId"), b.get("numInputRows")) for b in r.get("batches", [])]
    if r.get("error"):
        keep["error"] = {"stage": r["error"].get("stage", "query"), "class": r["error"].get("class"), "condition": r["error"].get("condition"),
                         "root": r["error"]["chain"][-1] if r["error"].get("chain") else None}
    return keep


def part_rows(out_dir):
    """Every row in every part file of a file-sink dir (ignoring _spark_metadata)."""
    rows = []
    for name in sorted(os.listdir(out_dir)):
        if name.startswith("part-"):
            with open(os.path.join(out_dir, name), encoding="utf-8") as f:
                rows += [json.loads(l) for l in f if l.strip()]
    return rows


def key(rows):
    return sorted(json.dumps(r, sort_keys=True) for r in rows)
