"""Q19: which select and filter plans over columns the schema lacks Spark 4.3 refuses, and when.
Needs /tmp/q19/in/ to hold any JSON file."""
from pyspark.sql import SparkSession
from pyspark.sql.functions import explode, col
spark = SparkSession.builder.master("local[1]").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
SCHEMA = "eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>"
CASES = [
    ("select nope", lambda df: df.select(col("nope"))),
    ("select data.nope", lambda df: df.select(col("data.nope"))),
    ("select eventId.x", lambda df: df.select(col("eventId.x"))),
    ("explode, select d.nope", lambda df: df.select(explode(col("data.devices")).alias("d")).select(col("d.nope"))),
    ("filter nope > 1", lambda df: df.filter("nope > 1").select(col("eventId"))),
    ("filter data.nope > 1", lambda df: df.filter("data.nope > 1").select(col("eventId"))),
    ("select eventId, filter eventId2 > 1", lambda df: df.select(col("eventId")).filter("eventId2 > 1")),
    ("select EVENTID (case)", lambda df: df.select(col("EVENTID"))),
    ("select data.devices", lambda df: df.select(col("data.devices"))),
]
for name, build in CASES:
    try:
        df = build(spark.readStream.schema(SCHEMA).json("/tmp/q19/in"))
        print(name, "=> OK", df.schema.simpleString())
    except Exception as e:
        print(name, "=> ERR", type(e).__name__, str(e).splitlines()[0][:240])
