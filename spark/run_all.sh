#!/bin/sh
# Re-runs every experiment, one warm JVM each, writing results/<name>.txt. About 10 minutes on 2 cores.
cd "$(dirname "$0")"
PY=${PY:-/tmp/sparkvenv/bin/python}
mkdir -p results
for f in experiments/q*.py experiments/x_*.py; do
  n=$(basename "$f" .py)
  start=$(date +%s)
  timeout 1800 "$PY" "$f" > "results/$n.txt" 2>&1
  echo "$n rc=$? $(( $(date +%s) - start ))s"
done
