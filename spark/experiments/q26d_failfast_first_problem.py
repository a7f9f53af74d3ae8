"""Q26d: where FAILFAST stops when a batch has a value of the wrong type (a NULL in PERMISSIVE)
and a malformed line: in one file, the NULL on line 2 and the malformed line on line 3, and the
reverse; in two files of one batch, one with each. Printed: Spark's error and its causes, cut
to the parts that tell which problem stopped it.
Plain pyspark in local[2], no driver: run with the provisioned venv's python.
"""
import os
from plain import SCHEMA, session, under_spark_python

under_spark_python(__file__)

spark, ROOT = session("q26d_failfast", log_level="OFF")
GOOD = '{"eventId": "g", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}'
NULL = '{"eventId": "x", "data": {"devices": "none"}}'
TORN = '{"eventId": "torn'
CASES = {
    "null_then_malformed": {"f.json": [GOOD, NULL, TORN, GOOD]},
    "malformed_then_null": {"f.json": [GOOD, TORN, NULL, GOOD]},
    "two_files_null_in_first": {"a.json": [GOOD, NULL, GOOD], "b.json": [GOOD, TORN, GOOD, GOOD, GOOD]},
    "two_files_malformed_in_first": {"a.json": [GOOD, TORN, GOOD], "b.json": [GOOD, NULL, GOOD, GOOD, GOOD]},
}


def causes(e):
    text = " ".join(str(e).split())
    keys = ["FAILED_READ_FILE", "MALFORMED_RECORD", "Malformed records", "Unexpected end-of-input",
            "Cannot parse", "CANNOT_PARSE", "VALUE_STRING", "reading file", "START_ARRAY", "Parse Mode"]
    found = [k for k in keys if k in text]
    files = sorted({n for n in ("f.json", "a.json", "b.json") if n in text})
    return f"files named {files}; markers {found}; head: {text[:300]}"


for name, files in CASES.items():
    inp = f"{ROOT}/{name}/in"
    os.makedirs(inp)
    for fname, lines in files.items():
        with open(f"{inp}/{fname}", "w") as f:
            f.write("\n".join(lines) + "\n")
    try:
        q = (spark.readStream.schema(SCHEMA).option("mode", "FAILFAST").json(inp)
             .writeStream.format("json").option("checkpointLocation", f"{ROOT}/{name}/cp")
             .option("path", f"{ROOT}/{name}/out").trigger(availableNow=True).start())
        q.awaitTermination(120)
        print(f"{name}: ran")
    except Exception as e:  # noqa: BLE001
        print(f"{name}: failed: {causes(e)}")
