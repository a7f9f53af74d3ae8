#!/usr/bin/env bash
# Memory and restart time flat in history (issue 12, item 3).
#
# Usage: benches/history/run.sh CRASHPOINT_BINARY WORKDIR FILES [FILES...]
#
# For each FILES count: writes FILES tiny JSON Lines files (one event, one device; modification
# times 1 s apart) into WORKDIR/FILES/input, streams them all with maxFilesPerTrigger 10
# (FILES/10 batches, file sink, available-now) under /usr/bin/time -v, then drops 10 more files and
# restarts the query on the same checkpoint: the restart reads the compacted logs and runs one
# batch. Prints peak RSS and wall time of both runs, and the size of the logs the restart reads.
# Put WORKDIR on tmpfs (/dev/shm) to measure the engine rather than the disk's fsync latency.
set -euo pipefail
bin=$1; work=$2; shift 2
for files in "$@"; do
    dir=$work/$files; rm -rf "$dir"; mkdir -p "$dir/input"
    python3 - "$dir/input" "$files" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n + 10):
    p = os.path.join(d if i < n else d + "-later", f"f{i:07d}.json")
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "w") as f:
        f.write('{"eventId": "e%d", "data": {"devices": [{"deviceId": "d%d", "temperature": 20.5}]}}\n' % (i, i % 10))
    t = 1_700_000_000 + i
    os.utime(p, (t, t))
PY
    run() {
        /usr/bin/time -f "%M KiB peak RSS, %e s wall, %U s user, %S s sys" \
            "$bin" stream --input "$dir/input" --checkpoint "$dir/cp" --sink file --output "$dir/out" \
            --max-files-per-trigger 10 --seed 1 --start-ms 1000 --quiet 2>&1 | tail -1
    }
    echo "== $files files, $((files / 10)) batches"
    echo "first run:  $(run)"
    mv "$dir/input-later"/* "$dir/input/"
    echo "restart (+10 files, 1 batch): $(run)"
    echo "logs read at restart: sources $(du -sh "$dir/cp/sources/0" | cut -f1), _spark_metadata $(du -sh "$dir/out/_spark_metadata" | cut -f1); files in sources/0: $(ls "$dir/cp/sources/0" | wc -l), in _spark_metadata: $(ls "$dir/out/_spark_metadata" | wc -l), offsets: $(ls "$dir/cp/offsets" | wc -l)"
    rm -rf "$dir"
done
