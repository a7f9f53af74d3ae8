#!/bin/sh
# Re-runs every experiment, one warm JVM each, writing results/<name>.txt. About 10 minutes on 2 cores.
cd "$(dirname "$0")"
# The experiments are stdlib Python; the driver they start runs on the provisioned venv
# ($CRASHPOINT_SPARK_PYTHON, or target/crashpoint-spark: see sparkpython.py).
PY=${PY:-python3}
mkdir -p results
for f in experiments/q*.py experiments/x_*.py; do
  n=$(basename "$f" .py)
  start=$(date +%s)
  timeout 1800 "$PY" "$f" > "results/$n.txt" 2>&1
  echo "$n rc=$? $(( $(date +%s) - start ))s"
done
