"""Which Python (with pyspark 4.3.0) runs the driver, for the experiments and smoke.py.

The same rule as crashpoint's Spark target: `$CRASHPOINT_SPARK_PYTHON` if set; else the venv
that crashpoint provisioned in the Spark home (`$CRASHPOINT_SPARK_HOME`, else the repository's
`target/crashpoint-spark`, where `cargo test` and `cargo run` put it). Nothing here installs:
`cargo test --test spark` (or any `crashpoint run --target spark`) provisions that venv.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def spark_python():
    explicit = os.environ.get("CRASHPOINT_SPARK_PYTHON")
    if explicit:
        return explicit
    home = os.environ.get("CRASHPOINT_SPARK_HOME") or os.path.join(
        os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target"), "crashpoint-spark")
    python = os.path.join(home, "venv", "bin", "python")
    if os.path.exists(os.path.join(home, "venv", ".crashpoint-ready")) and os.path.exists(python):
        return python
    sys.exit(f"no provisioned Spark venv in {home}: run `cargo test --test spark` once (it provisions "
             "pyspark 4.3.0 there), or set CRASHPOINT_SPARK_PYTHON to a Python that has pyspark 4.3.0")


if __name__ == "__main__":
    print(spark_python())
