"""Q17: which explode plans Spark 4.3 refuses, and when. Needs /tmp/q17/in/ to hold any JSON file."""
from pyspark.sql import SparkSession
from pyspark.sql.functions import explode, col
spark = SparkSession.builder.master("local[1]").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
for schema, expr in [("eventId STRING, data STRUCT<devices: STRING>", "data.devices"),
                     ("eventId STRING, data STRUCT<devices: STRING>", "data.nope"),
                     ("eventId STRING, data STRUCT<devices: STRING>", "nope")]:
    try:
        df = spark.readStream.schema(schema).json("/tmp/q17/in").select(explode(col(expr)).alias("d"))
        print(schema, expr, "OK", df.schema)
    except Exception as e:
        print(schema, expr, "ERR", type(e).__name__, str(e).splitlines()[0][:300])
