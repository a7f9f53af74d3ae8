"""Q24a: option values as a user spells them, good and bad, on Spark 4.3.

1. Trigger.ProcessingTime(String): for each spelling, the interval Spark reads (ms) or its
   refusal and words, asked of the JVM directly (ProcessingTimeTrigger.apply) and through
   pyspark's writeStream.trigger(processingTime=...), which checks the string first.
2. spark.sql.files.maxPartitionBytes / openCostInBytes / minPartitionNum set to 0 and negative:
   refused at conf.set, at start(), at the first trigger, or run (and with which rows and part
   files)? One 3-line file on a fresh checkpoint, availableNow, JSON sink.
Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import json, os, shutil, sys, threading
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sparkpython import spark_python  # noqa: E402

if os.path.abspath(sys.executable) != os.path.abspath(spark_python()):
    os.execv(spark_python(), [spark_python(), __file__])

from pyspark.sql import SparkSession  # noqa: E402

ROOT = os.environ.get("CRASHPOINT_EXP_ROOT", "/tmp/crashpoint-exp") + "/q24a"
shutil.rmtree(ROOT, ignore_errors=True)
os.makedirs(ROOT + "/in")
with open(ROOT + "/in/a.json", "w") as f:
    for i in range(3):
        f.write('{"eventId": "e%d"}\n' % i)
spark = SparkSession.builder.master("local[2]").appName("q24a").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
jvm = spark._jvm


def first_line(e):
    text = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return (type(e).__name__ + ": " + text)[:260]


SPELLINGS = [
    "", " ", ".", ". seconds", ".. seconds", "- seconds", "+ seconds", "-. seconds", "1..5 seconds",
    "1.5 minutes", "1.5 hours", "0.5 milliseconds", "1.5 microseconds",
    "1.123456789 seconds", "1.1234567891 seconds", "0.0000000001 seconds",
    "123456789012345678 microseconds", "1234567890123456789 microseconds",
    "999999999999999999 seconds", "9223372036854775807 microseconds", "9223372036854 seconds",
    "1 month", "2 months", "1 year", "3 years", "1 month -1 month", "1 decade",
    "1 fortnight", "5 secs", "5 sec", "5 s", "5 ms", "5 min", "5 mins", "5 hrs", "5 nanoseconds",
    "5", "0", "5 5 seconds", "5 seconds 5",
    "5s", "500ms", "2m", "1h", "1d", "5seconds", "5 SeCoNdS", "5 Second", "  5 seconds  ",
    "\t5 seconds\n", "5  seconds", "interval 5 seconds", "INTERVAL 5 SECONDS", "Interval 5 seconds",
    "interval interval 5 seconds", "interval", "interval ",
    "-5 seconds", "- 5 seconds", "1 second -2 seconds", "-1 second 1 second", "-0 seconds",
    "1 second -1000 milliseconds", "1 second -1001 milliseconds", "--5 seconds", "+5 seconds",
    "5 seconds,", "5,000 seconds", "0x10 seconds", "1e2 seconds", "١ seconds",
    "-. seconds", "+. seconds", "- . seconds", "-. minutes", "5. minutes", "5.0 minutes", ". ",
    "-999 microseconds", "-1 microseconds", "1 millisecond -1999 microseconds", "-1000 microseconds",
    "1 year -12 months", "1 month -30 days", "2234567890 days", "2147483647 days", "400000000 weeks",
    "9223372036854775808 microseconds", "106751991 days", "106751992 days", "5 secondss", "5 seconds5",
]


def jvm_reads(text):
    try:
        t = jvm.org.apache.spark.sql.execution.streaming.ProcessingTimeTrigger.apply(text)
        return f"{t.intervalMs()} ms"
    except Exception as e:  # noqa: BLE001
        msg = str(e)
        cause = msg.split("\n")[0]
        for marker in ("IllegalArgumentException: ", "SparkIllegalArgumentException: ",
                       "NumberFormatException: ", "ArithmeticException: "):
            if marker in msg:
                cause = marker + msg.split(marker, 1)[1].split("\n")[0]
                break
        boiler = ("Please ensure that the value provided is in a valid format for defining an interval. "
                  "You can reference the documentation for the correct format. ")
        return "refused: " + cause.replace(boiler, "")[:400]


print("== Trigger.ProcessingTime(String): the JVM's reading, then pyspark's trigger()")
df = spark.readStream.schema("eventId STRING").json(ROOT + "/in")
for text in SPELLINGS:
    try:
        df.writeStream.format("console").trigger(processingTime=text)
        py = "accepted"
    except Exception as e:  # noqa: BLE001
        py = "refused: " + type(e).__name__
        py += " (the JVM's words)" if "interval" in str(e).lower() and "PySpark" not in type(e).__name__ else ": " + first_line(e)
    print(f"{text!r}: jvm {jvm_reads(text)} | pyspark {py}")

print("\n== spark.sql.files.* layout confs at 0 and negative")


def listing(d):
    if not os.path.exists(d):
        return "none"
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                  if not f.endswith(".crc"))


def rows(out):
    meta = f"{out}/_spark_metadata/0"
    if not os.path.exists(meta):
        return "no _spark_metadata/0"
    parts = []
    for entry in open(meta, encoding="utf-8").read().split("\n")[1:]:
        e = json.loads(entry)
        path = e["path"].replace("file:", "")
        ids = [json.loads(l)["eventId"] for l in open(path, encoding="utf-8") if l.strip()]
        parts.append((os.path.basename(path)[:10], ids))
    return parts


def layout_case(key, value, input_dir=ROOT + "/in"):
    name = f"{key.split('.')[-1]}={value}" + ("" if input_dir == ROOT + "/in" else "-empty-input")
    cp, out = f"{ROOT}/cp-{name}", f"{ROOT}/out-{name}"
    try:
        spark.conf.set(key, value)
        got = spark.conf.get(key)
    except Exception as e:  # noqa: BLE001
        print(f"{name}: refused at conf.set: {first_line(e)}")
        return
    where = "start"
    try:
        q = (spark.readStream.schema("eventId STRING").json(input_dir).writeStream.format("json")
             .option("path", out).option("checkpointLocation", cp).trigger(availableNow=True).start())
        where = "first trigger"
        done = q.awaitTermination(90)
        if not done:
            q.stop()
            print(f"{name} (read back {got!r}): still running after 90 s, stopped; checkpoint {listing(cp)}")
        else:
            print(f"{name} (read back {got!r}): ran; checkpoint {listing(cp)}; output {rows(out)}")
    except Exception as e:  # noqa: BLE001
        print(f"{name} (read back {got!r}): refused at {where}: {first_line(e)}; checkpoint {listing(cp)}; "
              f"output {listing(out)}")
    finally:
        spark.conf.unset(key)


for key in ["spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes",
            "spark.sql.files.minPartitionNum"]:
    for value in ["0", "-1", "-100", "1"]:
        layout_case(key, value)
# A batch of only empty files: with openCostInBytes 0 the total, and so the split size, is 0.
os.makedirs(ROOT + "/empty-in")
open(ROOT + "/empty-in/e.json", "w").close()
for value in ["0", "1"]:
    layout_case("spark.sql.files.openCostInBytes", value, ROOT + "/empty-in")
spark.stop()
