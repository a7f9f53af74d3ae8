"""Q26c: a new batch's batchTimestampMs when the checkpoint's newest batch time is far from the
wall clock: a year behind it (a checkpoint written in an earlier year, or a clock jumped
forward) and a year ahead of it (a clock gone back since the checkpoint was written).

A query (file source, json sink, availableNow, maxFilesPerTrigger 1) runs batch 0 (one file).
offsets/0's batchTimestampMs is rewritten (its .crc removed), a file arrives, the query
restarts and runs batch 1. Printed: the wall clock around the restart, batch 1's
batchTimestampMs from offsets/1, and the rows' current_timestamp() of each batch.
Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import json, os, time
from plain import SCHEMA, session, under_spark_python

under_spark_python(__file__)
from pyspark.sql.functions import current_timestamp  # noqa: E402

spark, ROOT = session("q26c", conf={"spark.sql.session.timeZone": "UTC"})
YEAR_MS = 365 * 24 * 3600 * 1000


def add(name, n):
    with open(f"{ROOT}/{name}/in/f{n}.json", "w") as f:
        f.write('{"eventId": "e%d", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}\n' % n)


def run(name):
    cp, out = f"{ROOT}/{name}/cp", f"{ROOT}/{name}/out"
    q = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(f"{ROOT}/{name}/in")
         .select("eventId", current_timestamp().alias("processing_time"))
         .writeStream.format("json").option("checkpointLocation", cp).option("path", out)
         .trigger(availableNow=True).start())
    q.awaitTermination(120)


def batch_time(cp, n):
    with open(f"{cp}/offsets/{n}") as f:
        return json.loads(f.read().splitlines()[1])["batchTimestampMs"]


def set_batch_time(cp, n, ms):
    path = f"{cp}/offsets/{n}"
    with open(path) as f:
        lines = f.read().split("\n")
    meta = json.loads(lines[1])
    meta["batchTimestampMs"] = ms
    lines[1] = json.dumps(meta, separators=(",", ":"))
    with open(path, "w") as f:
        f.write("\n".join(lines))
    crc = f"{cp}/offsets/.{n}.crc"
    if os.path.exists(crc):
        os.remove(crc)


for name, shift in [("year_behind", -YEAR_MS), ("year_ahead", YEAR_MS)]:
    os.makedirs(f"{ROOT}/{name}/in")
    cp = f"{ROOT}/{name}/cp"
    add(name, 0)
    run(name)
    written = batch_time(cp, 0)
    set_batch_time(cp, 0, written + shift)
    add(name, 1)
    before = int(time.time() * 1000)
    run(name)
    after = int(time.time() * 1000)
    rows = sorted((r.eventId, str(r.processing_time)) for r in spark.read.json(f"{ROOT}/{name}/out").collect())
    print(f"{name}: offsets/0 batchTimestampMs {written} rewritten to {written + shift}")
    print(f"  restart: wall clock {before} .. {after}; offsets/1 batchTimestampMs {batch_time(cp, 1)}")
    print(f"  batch 1 - offsets/0 = {batch_time(cp, 1) - (written + shift)} ms; within the restart's wall clock: {before <= batch_time(cp, 1) <= after}")
    print(f"  rows: {rows}")
