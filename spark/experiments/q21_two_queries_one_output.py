"""Q21: two queries, each on its own checkpoint, writing one file-sink output directory.

Part 1 (through the driver, as crashpoint runs Spark): the queries take turns, one `once` batch each,
A (cp1, in1) then B (cp2, in2), three rounds: what each batch writes and what a reader sees.
Part 2 (plain pyspark, one session): both queries started at once, processing-time 100 ms, each with
its own input of 3 files, both running together until each has processed all it has.
"""
import sys, os, time, json
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


T = 1_700_000_000_000
d = Driver("q21")
out = d.path("out")
inp = {"A": d.path("inA"), "B": d.path("inB")}
cps = {"A": d.path("cpA"), "B": d.path("cpB")}
for rnd in range(3):
    for q in ("A", "B"):
        write(os.path.join(inp[q], f"{q.lower()}{rnd}.json"), rec(f"{q.lower()}{rnd}"), T + rnd * 1000)
        r = d.run(input=inp[q], checkpoint=cps[q], sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN,
                  trigger="once", log_level="INFO")
        skips = [l.split("FileStreamSink: ")[-1] for l in r["spark_log"].splitlines() if "Skipping already committed" in l]
        show(f"round {rnd}: query {q} ({q.lower()}{rnd}.json)",
             {**brief(r), "sink rows": [(b["batchId"], (b.get("sink") or {}).get("numOutputRows")) for b in r["batches"]],
              "skips": skips})
show("_spark_metadata", sorted(n for n in os.listdir(os.path.join(out, "_spark_metadata")) if not n.startswith(".")))
got = sorted(x["eventId"] for x in d.read(out)["rows"])
want = sorted(f"{q}{i}" for q in "ab" for i in range(3))
show("part 1: reader sees", {"eventIds": got, "lost": sorted(set(want) - set(got))})
show("part 1: rows in part files on disk", sorted(x["eventId"] for x in part_rows(out)))
d.close()

# Part 2: both at once in one session.
from pyspark.sql import SparkSession
spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false") \
    .config("spark.sql.shuffle.partitions", "1").getOrCreate()
spark.sparkContext.setLogLevel("WARN")
base = os.path.join(ROOT, "q21b")
import shutil
shutil.rmtree(base, ignore_errors=True)
out2 = os.path.join(base, "out")
schema = "eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>"
queries = {}
for q in ("A", "B"):
    for i in range(3):
        write(os.path.join(base, "in" + q, f"{q.lower()}{i}.json"), rec(f"{q.lower()}{i}"), T + i * 1000)
for q in ("A", "B"):
    df = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).json(os.path.join(base, "in" + q))
    df = df.selectExpr("eventId", "explode(data.devices) as device").selectExpr("eventId", "device.deviceId as device_id")
    queries[q] = df.writeStream.format("json").option("checkpointLocation", os.path.join(base, "cp" + q)) \
        .trigger(processingTime="100 milliseconds").start(out2)
errors = {}
for q, sq in queries.items():
    try:
        sq.processAllAvailable()
    except Exception as e:  # noqa: BLE001
        errors[q] = str(e).splitlines()[0][:300]
for q, sq in queries.items():
    progress = [(p["batchId"], p["numInputRows"], p["sink"].get("numOutputRows")) for p in sq.recentProgress if p["numInputRows"]]
    show(f"part 2: query {q} batches with input (id, input rows, sink rows)", progress)
    sq.stop()
show("part 2: errors", errors)
show("part 2: _spark_metadata", sorted(n for n in os.listdir(os.path.join(out2, "_spark_metadata")) if not n.startswith(".")))
got = sorted(r["eventId"] for r in spark.read.json(out2).collect())
want = sorted(f"{q}{i}" for q in "ab" for i in range(3))
show("part 2: reader sees", {"eventIds": got, "lost": sorted(set(want) - set(got))})
show("part 2: rows in part files on disk", sorted(x["eventId"] for x in part_rows(out2)))
spark.stop()
