"""Q26e: how a part file of Spark's JSON file sink ends: after each row's newline, or with the
last row unterminated. Batch 0 is one file of three events of one device each (three rows, one
task); batch 1 one event of one device (one row); batch 2 one event with no device (no row: an
empty part-00000). Printed: each listed part file's size, its last bytes and whether it ends
with a newline. Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import json, os
from plain import SCHEMA, session, under_spark_python

under_spark_python(__file__)
from pyspark.sql.functions import col, explode  # noqa: E402

spark, ROOT = session("q26e")
NEWLINE = b"\n"
IN, OUT, CP = f"{ROOT}/in", f"{ROOT}/out", f"{ROOT}/cp"
os.makedirs(IN)


def event(i, devices):
    data = [{"deviceId": f"d{i}", "temperature": 21.5}] * devices
    return json.dumps({"eventId": f"e{i}", "data": {"devices": data}}) + "\n"


def run():
    df = spark.readStream.schema(SCHEMA).json(IN)
    rows = df.select("eventId", explode(col("data.devices")).alias("d")).select("eventId", "d.deviceId", "d.temperature")
    q = (rows.writeStream.format("json").option("path", OUT).option("checkpointLocation", CP)
         .trigger(availableNow=True).start())
    q.awaitTermination(120)


for n, text in enumerate([event(1, 1) + event(2, 1) + event(3, 1), event(4, 1), event(5, 0)]):
    with open(f"{IN}/f{n}.json", "w") as f:
        f.write(text)
    run()
for b in sorted((n for n in os.listdir(f"{OUT}/_spark_metadata") if n.isdigit()), key=int):
    for entry in open(f"{OUT}/_spark_metadata/{b}").read().split("\n")[1:]:
        path = json.loads(entry)["path"].replace("file:", "")
        data = open(path, "rb").read()
        newlines, ends = data.count(NEWLINE), data.endswith(NEWLINE)
        print(f"batch {b}: {os.path.basename(path)[:10]} {len(data)} bytes, {newlines} newline(s), "
              f"ends {data[-12:]!r}, ends with a newline: {ends}")
