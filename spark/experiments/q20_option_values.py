"""Q20: bad values of the options a query and its session take, each refused where and how?

maxFileAge and maxFilesPerTrigger (source options), Spark's confs of the logs
(fileSource/fileSink compactInterval, minBatchesToRetain) and a processing-time trigger
interval: for each value, where Spark refuses it (at conf.set, at the trigger's making, at
start(), or in the first trigger) and its words, and what the checkpoint holds afterwards.
Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import os, shutil, sys, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sparkpython import spark_python  # noqa: E402

if os.path.abspath(sys.executable) != os.path.abspath(spark_python()):
    os.execv(spark_python(), [spark_python(), __file__])

from pyspark.sql import SparkSession  # noqa: E402

ROOT = os.environ.get("CRASHPOINT_EXP_ROOT", "/tmp/crashpoint-exp") + "/q20"
shutil.rmtree(ROOT, ignore_errors=True)
os.makedirs(ROOT + "/in")
with open(ROOT + "/in/a.json", "w") as f:
    f.write('{"eventId": "e1", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}\n')
spark = SparkSession.builder.master("local[2]").appName("q20").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
SCHEMA = "eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>"


def first_line(e):
    return (type(e).__name__ + ": " + str(e).strip().splitlines()[0])[:300]


def listing(d):
    if not os.path.exists(d):
        return "none"
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                  if not f.endswith(".crc"))


def conf(key, value):
    try:
        spark.conf.set(key, value)
        print(f"conf {key}={value!r}: accepted; read back {spark.conf.get(key)!r}")
        return True
    except Exception as e:  # noqa: BLE001
        print(f"conf {key}={value!r}: refused at set: {first_line(e)}")
        return False


def query(name, options=None, trigger=None, sink="console"):
    cp = f"{ROOT}/cp-{name}"
    where = "make"
    try:
        reader = spark.readStream.schema(SCHEMA)
        for k, v in (options or {}).items():
            reader = reader.option(k, v)
        writer = reader.json(ROOT + "/in").writeStream.format(sink).option("checkpointLocation", cp)
        if sink == "json":
            writer = writer.option("path", f"{ROOT}/out-{name}")
        if trigger is not None:
            where = "trigger"
            writer = writer.trigger(processingTime=trigger)
        else:
            writer = writer.trigger(availableNow=True)
        where = "start"
        q = writer.start()
        where = "first trigger"
        q.awaitTermination(60) if trigger is None else q.processAllAvailable()
        q.stop()
        print(f"{name}: ran; checkpoint {listing(cp)}")
    except Exception as e:  # noqa: BLE001
        print(f"{name}: refused at {where}: {first_line(e)}; checkpoint {listing(cp)}")


for v in ["-1000ms", "-1", "0", "0ms"]:
    query(f"maxFileAge={v}", {"maxFileAge": v})
for v in ["0", "-1"]:
    query(f"maxFilesPerTrigger={v}", {"maxFilesPerTrigger": v})
for key in ["spark.sql.streaming.fileSource.log.compactInterval", "spark.sql.streaming.fileSink.log.compactInterval",
            "spark.sql.streaming.minBatchesToRetain"]:
    for v in ["0", "-1"]:
        if conf(key, v):
            query(f"{key.split('.')[-2]}.{key.split('.')[-1]}={v}", sink="json")
            spark.conf.unset(key)
for t in ["-5 seconds", "five seconds", "5 months"]:
    query(f"processingTime={t!r}", trigger=t)
spark.stop()
