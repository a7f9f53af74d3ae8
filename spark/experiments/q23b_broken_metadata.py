"""Q23b: the checkpoint's `metadata` and the file sink's `_spark_metadata` broken by hand.

For each shape: a query (file source, json sink, availableNow) runs once on a.json (batch 0)
and, for the sink log's compaction, with fileSink.log.compactInterval 2 on two files (batch 1
is 1.compact); then the file is broken as a user breaks it, b.json arrives, and the query
restarts. Printed: where Spark refuses (its words) or that it ran, the checkpoint's and the sink
log's files, the query id it ran with, and what a reader of the output (spark.read.json) sees.
Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import json, os, shutil, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sparkpython import spark_python  # noqa: E402

if os.path.abspath(sys.executable) != os.path.abspath(spark_python()):
    os.execv(spark_python(), [spark_python(), __file__])

from pyspark.sql import SparkSession  # noqa: E402

ROOT = os.environ.get("CRASHPOINT_EXP_ROOT", "/tmp/crashpoint-exp") + "/q23b"
shutil.rmtree(ROOT, ignore_errors=True)
spark = SparkSession.builder.master("local[2]").appName("q23b").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
SCHEMA = "eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>"
OTHER_ID = "0b38e378-b039-4b33-9c42-4641850a1b76"


def first_line(e):
    return (type(e).__name__ + ": " + " ".join(str(e).strip().split())[:400])


def listing(d):
    if not os.path.exists(d):
        return "none"
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                  if not f.endswith(".crc"))


def add(name, n):
    with open(f"{ROOT}/{name}/in/f{n}.json", "w") as f:
        f.write('{"eventId": "e%d", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}\n' % n)


def run(name):
    cp, out = f"{ROOT}/{name}/cp", f"{ROOT}/{name}/out"
    try:
        q = (spark.readStream.schema(SCHEMA).json(f"{ROOT}/{name}/in").writeStream.format("json")
             .option("checkpointLocation", cp).option("path", out).trigger(availableNow=True).start())
        q.awaitTermination(120)
        return f"ran (query id {q.id})"
    except Exception as e:  # noqa: BLE001
        return f"refused: {first_line(e)}"


def read_output(name):
    try:
        return f"reader sees {spark.read.json(f'{ROOT}/{name}/out').count()} row(s)"
    except Exception as e:  # noqa: BLE001
        return f"reader fails: {first_line(e)}"


def case(name, path, breaker, files_first=1, compact=None):
    os.makedirs(f"{ROOT}/{name}/in")
    if compact:
        spark.conf.set("spark.sql.streaming.fileSink.log.compactInterval", str(compact))
    for n in range(files_first):
        add(name, n)
        run(name)
    target = f"{ROOT}/{name}/{path}"
    before = open(target, "rb").read() if os.path.exists(target) else None
    breaker(target, before)
    add(name, 99)
    outcome = run(name)
    after = open(target, "rb").read()[:120] if os.path.exists(target) else "gone"
    print(f"{name}: {outcome}; {path} after: {after!r}; checkpoint {listing(ROOT + '/' + name + '/cp')}; "
          f"sink log {listing(ROOT + '/' + name + '/out/_spark_metadata')}; {read_output(name)}")
    if compact:
        spark.conf.unset("spark.sql.streaming.fileSink.log.compactInterval")


def write(text):
    def w(target, _before):
        with open(target, "w") as f:
            f.write(text)
    return w


def cut(bytes_kept=None, last=None):
    def w(target, before):
        keep = before[:bytes_kept] if bytes_kept is not None else before[:len(before) - last]
        with open(target, "wb") as f:
            f.write(keep)
    return w


def first_line_replaced(line):
    def w(target, before):
        rest = before.split(b"\n", 1)[1]
        with open(target, "wb") as f:
            f.write(line.encode() + b"\n" + rest)
    return w


def delete(target, _before):
    os.remove(target)


case("metadata-truncated", "cp/metadata", cut(bytes_kept=10))
case("metadata-not-json", "cp/metadata", write("garbage"))
case("metadata-empty", "cp/metadata", write(""))
case("metadata-other-id", "cp/metadata", write(json.dumps({"id": OTHER_ID})))
case("metadata-deleted", "cp/metadata", delete)
case("sinklog-v2", "out/_spark_metadata/0", first_line_replaced("v2"))
case("sinklog-garbage", "out/_spark_metadata/0", first_line_replaced("v0"))
case("sinklog-last-line-cut", "out/_spark_metadata/0", cut(last=20))
case("sinklog-deleted", "out/_spark_metadata/0", delete)
case("sinklog-latest-v2", "out/_spark_metadata/1", first_line_replaced("v2"), files_first=2)
case("sinklog-compact-v2", "out/_spark_metadata/1.compact", first_line_replaced("v2"), files_first=2, compact=2)
case("sinklog-compact-cut", "out/_spark_metadata/1.compact", cut(last=20), files_first=2, compact=2)
spark.stop()
