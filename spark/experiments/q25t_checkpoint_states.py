"""Q25t: checkpoint states a user or a lost disk leaves, which no fuzz draw made before.

For each shape: a query (file source, json sink, availableNow, maxFilesPerTrigger 1) runs
batches 0 and 1 (one file each); then the checkpoint is changed as a user or a disk leaves it
(each file's `.N.crc` sidecar removed with it, so that only the file's bytes count), c.json
arrives, and the query restarts. Printed: where Spark refuses (its words) or that it ran, the
checkpoint's files after, and what a reader of the output (spark.read.json) sees.
Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import os
from plain import SCHEMA, session, under_spark_python

under_spark_python(__file__)

spark, ROOT = session("q25t")


def first_line(e):
    return (type(e).__name__ + ": " + " ".join(str(e).strip().split())[:400])


def listing(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                  if not f.endswith(".crc") and not f.startswith("."))


def add(name, n):
    with open(f"{ROOT}/{name}/in/f{n}.json", "w") as f:
        f.write('{"eventId": "e%d", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}\n' % n)


def run(name):
    cp, out = f"{ROOT}/{name}/cp", f"{ROOT}/{name}/out"
    try:
        q = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(f"{ROOT}/{name}/in")
             .writeStream.format("json").option("checkpointLocation", cp).option("path", out)
             .trigger(availableNow=True).start())
        q.awaitTermination(120)
        return "ran"
    except Exception as e:  # noqa: BLE001
        return f"refused: {first_line(e)}"


def read_output(name):
    try:
        rows = sorted(r.eventId for r in spark.read.json(f"{ROOT}/{name}/out").collect())
        return f"reader sees {rows}"
    except Exception as e:  # noqa: BLE001
        return f"reader fails: {first_line(e)}"


def crc(path):
    d, f = os.path.split(path)
    return os.path.join(d, f".{f}.crc")


def write(path, text):
    def w(cp):
        with open(f"{cp}/{path}", "w") as f:
            f.write(text)
        if os.path.exists(crc(f"{cp}/{path}")):
            os.remove(crc(f"{cp}/{path}"))
    return w


def delete(*paths):
    def w(cp):
        for path in paths:
            for p in (f"{cp}/{path}", crc(f"{cp}/{path}")):
                if os.path.exists(p):
                    os.remove(p)
    return w


def case(name, breaker):
    os.makedirs(f"{ROOT}/{name}/in")
    for n in range(2):
        add(name, n)
        run(name)
    cp = f"{ROOT}/{name}/cp"
    breaker(cp)
    add(name, 9)
    outcome = run(name)
    print(f"{name}: {outcome}; checkpoint after {listing(cp)}; {read_output(name)}", flush=True)


case("offsets-version-line-only", write("offsets/1", "v1"))
case("commits-version-line-only", write("commits/1", "v1"))
case("commits-line-cut", write("commits/1", 'v1\n{"nextBatchWatermarkMs"'))
case("source-log-empty", write("sources/0/1", ""))
case("source-log-line-cut", write("sources/0/1", 'v1\n{"path":"file:///x/f1.json","timest'))
case("rerun-offsets-before-deleted", delete("commits/1", "offsets/0"))
case("rerun-source-log-deleted", delete("sources/0/1", "commits/1"))
case("source-log-cut-back", delete("sources/0/1"))
spark.stop()
