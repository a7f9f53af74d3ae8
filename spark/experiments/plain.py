"""The set-up every plain-pyspark experiment shares (no driver, unlike `common.py`): run under
the provisioned venv's python, a scratch directory of the experiment's own (emptied), a
`local[2]` session, and the tutorial's schema. It must never start a driver.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sparkpython import spark_python  # noqa: E402

SCHEMA = "eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, temperature: DOUBLE>>>"


def under_spark_python(script):
    """Re-runs `script` under the venv's python unless this is it: pyspark lives there."""
    if os.path.abspath(sys.executable) != os.path.abspath(spark_python()):
        os.execv(spark_python(), [spark_python(), script])


def session(name, log_level="ERROR", conf=None):
    """A `local[2]` session named `name`, and `name`'s scratch directory, emptied."""
    from pyspark.sql import SparkSession
    root = os.environ.get("CRASHPOINT_EXP_ROOT", "/tmp/crashpoint-exp") + "/" + name
    shutil.rmtree(root, ignore_errors=True)
    builder = SparkSession.builder.master("local[2]").appName(name)
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel(log_level)
    return spark, root
