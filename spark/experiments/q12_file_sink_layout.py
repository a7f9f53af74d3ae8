"""Q12: part files per batch, part-file names, _spark_metadata and sources log compaction and cleanup,
minBatchesToRetain purge of offsets/commits."""
import sys, os, re, shutil
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q12")


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


T = 1_700_000_000_000

# A. part files per batch
for name, files in (("one-file", 1), ("three-files", 3), ("ten-files", 10)):
    inp = d.path(name, "in")
    for i in range(files):
        write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}") * 3, T + i * 1000)
    out = d.path(name, "out")
    r = d.run(input=inp, checkpoint=d.path(name, "cp"), sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN)
    log0 = cat(os.path.join(out, "_spark_metadata", "0")).split("\n")[1:]
    show(f"A. {name}: batch 0 has {files} small file(s): part files in _spark_metadata/0",
         [os.path.basename(json.loads(l)["path"]) for l in log0])
inp = d.path("big", "in")
line = '{"eventId": "big", "data": {"devices": [{"deviceId": "d1", "temperature": 1.5}, {"deviceId": "d2", "temperature": 2.5}]}}\n'
write(os.path.join(inp, "big.json"), line * (50 * 1024 * 1024 // len(line)), T)
out = d.path("big", "out")
r = d.run(input=inp, checkpoint=d.path("big", "cp"), sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, timeout_ms=600_000)
show("A. one 50 MB file", brief(r))
show("A. part files in _spark_metadata/0 (name, size)",
     [(os.path.basename(json.loads(l)["path"]), json.loads(l)["size"]) for l in cat(os.path.join(out, "_spark_metadata", "0")).split("\n")[1:]])
shutil.rmtree(inp)

# B. compaction at batch 9, minBatchesToRetain=3, default cleanup delay (10 min)
inp, cp, out = d.path("B", "in"), d.path("B", "cp"), d.path("B", "out")
for i in range(12):
    write(os.path.join(inp, f"f{i:02d}.json"), rec(f"f{i:02d}"), T + i * 1000)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
          conf={"spark.sql.streaming.minBatchesToRetain": 3})
show("B. 12 batches, minBatchesToRetain=3", brief(r)["batches (id, input rows)"])
show("B. checkpoint listing", listing(cp))
show("B. output _spark_metadata listing", sorted(os.listdir(os.path.join(out, "_spark_metadata"))))
show("B. _spark_metadata/9.compact", cat(os.path.join(out, "_spark_metadata", "9.compact")))
show("B. _spark_metadata/10", cat(os.path.join(out, "_spark_metadata", "10")))
show("B. sources/0/9.compact", cat(os.path.join(cp, "sources", "0", "9.compact")))
show("B. writes per log in this run", r["hits"])
show("B. write trace around batch 9", [w for w in r["writes"] if w["file"].startswith("9") or w["file"] in ("8", "10")])
rows = d.read(out)
show("B. reader sees", sorted(x["eventId"] for x in rows["rows"]))
# a restart after compaction
write(os.path.join(inp, "f12.json"), rec("f12"), T + 12_000)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
          conf={"spark.sql.streaming.minBatchesToRetain": 3})
show("B. restart with f12", brief(r)["batches (id, input rows)"])
show("B. offsets/commits after restart", {s: sorted(os.listdir(os.path.join(cp, s))) for s in ("offsets", "commits")})
show("B. offsets/12", cat(os.path.join(cp, "offsets", "12")).split("\n")[2])

# C. cleanup of compacted log files: delay 0, 21 batches in three runs
inp, cp, out = d.path("C", "in"), d.path("C", "cp"), d.path("C", "out")
conf = {"spark.sql.streaming.fileSink.log.cleanupDelay": 0, "spark.sql.streaming.fileSource.log.cleanupDelay": 0,
        "spark.sql.streaming.minBatchesToRetain": 3}
for upto, label in ((10, "batches 0..9"), (12, "batches 10..11"), (21, "batches 12..20")):
    for i in range(upto):
        p = os.path.join(inp, f"f{i:02d}.json")
        if not os.path.exists(p):
            write(p, rec(f"f{i:02d}"), T + i * 1000)
    r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1}, conf=conf)
    show(f"C. cleanupDelay=0, minBatchesToRetain=3, after {label}", {
        "batches": [b for b, _ in brief(r)["batches (id, input rows)"]],
        "sources/0": sorted(os.listdir(os.path.join(cp, "sources", "0")), key=lambda n: (len(n), n)),
        "_spark_metadata": sorted(os.listdir(os.path.join(out, "_spark_metadata")), key=lambda n: (len(n), n)),
        "offsets": sorted(os.listdir(os.path.join(cp, "offsets")), key=lambda n: (len(n), n)),
    })
show("C. sources/0/19.compact", cat(os.path.join(cp, "sources", "0", "19.compact")))
show("C. reader sees", len(d.read(out)["rows"]))

# C2. cleanupDelay=0 and the default minBatchesToRetain (100): 21 batches
inp, cp, out = d.path("C2", "in"), d.path("C2", "cp"), d.path("C2", "out")
for i in range(21):
    write(os.path.join(inp, f"f{i:02d}.json"), rec(f"f{i:02d}"), T + i * 1000)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
          conf={"spark.sql.streaming.fileSink.log.cleanupDelay": 0, "spark.sql.streaming.fileSource.log.cleanupDelay": 0})
show("C2. cleanupDelay=0, default minBatchesToRetain (100), 21 batches", {
    "sources/0": sorted(n for n in os.listdir(os.path.join(cp, "sources", "0")) if not n.startswith(".")),
    "_spark_metadata": sorted(n for n in os.listdir(os.path.join(out, "_spark_metadata")) if not n.startswith(".")),
    "offsets": len([n for n in os.listdir(os.path.join(cp, "offsets")) if not n.startswith(".")])})

# D. default cleanup delay (10 min), minBatchesToRetain=3: 21 batches, which log files remain
inp, cp, out = d.path("D", "in"), d.path("D", "cp"), d.path("D", "out")
for i in range(21):
    write(os.path.join(inp, f"f{i:02d}.json"), rec(f"f{i:02d}"), T + i * 1000)
r = d.run(input=inp, checkpoint=cp, sink={"kind": "file", "path": out}, plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
          conf={"spark.sql.streaming.minBatchesToRetain": 3})
show("D. default cleanupDelay (10 min), minBatchesToRetain=3, 21 batches", {
    "sources/0": sorted(n for n in os.listdir(os.path.join(cp, "sources", "0")) if not n.startswith(".")),
    "_spark_metadata": sorted(n for n in os.listdir(os.path.join(out, "_spark_metadata")) if not n.startswith(".")),
    "offsets": len([n for n in os.listdir(os.path.join(cp, "offsets")) if not n.startswith(".")])})
d.close()
