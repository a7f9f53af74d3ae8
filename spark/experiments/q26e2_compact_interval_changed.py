"""Q26e2: a query restarted on an existing checkpoint with another compaction interval
(`spark.sql.streaming.fileSource.log.compactInterval` and `fileSink.log.compactInterval` set to
the same value). Phase 1 runs `first` batches with interval A (availableNow, maxFilesPerTrigger 1,
one file per batch); phase 2 sets interval B and runs `more` batches. Printed: the files of
`sources/0/` and `out/_spark_metadata/` after each phase, and the event ids a reader of the
output sees (reader with interval B, then with the default 10) against the ids written.
Plain pyspark in local[2]: run with the provisioned venv's python.
"""
import os, re
from plain import SCHEMA, session, under_spark_python

under_spark_python(__file__)

# Q26E_RETAIN=1: minBatchesToRetain 1 and no cleanup delay, so that expired files go at once.
RETAIN = os.environ.get("Q26E_RETAIN") == "1"
EXPIRY = {"spark.sql.streaming.minBatchesToRetain": 1, "spark.sql.streaming.fileSink.log.cleanupDelay": 0,
          "spark.sql.streaming.fileSource.log.cleanupDelay": 0}
spark, ROOT = session("q26e_retain" if RETAIN else "q26e_interval", conf=EXPIRY if RETAIN else None)
KEYS = ("spark.sql.streaming.fileSource.log.compactInterval", "spark.sql.streaming.fileSink.log.compactInterval")


def interval(n):
    for key in KEYS:
        spark.conf.set(key, str(n))


def files(d):
    if not os.path.isdir(d):
        return []
    names = [f for f in os.listdir(d) if not f.endswith(".crc") and not f.startswith(".")]
    return sorted(names, key=lambda f: int(f.split(".")[0]))


def line(n):
    return '{"eventId": "e%d", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}\n' % n


def run(name, start, count):
    base = f"{ROOT}/{name}"
    os.makedirs(f"{base}/in", exist_ok=True)
    for n in range(start, start + count):
        with open(f"{base}/in/f{n:03d}.json", "w") as f:
            f.write(line(n))
    q = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(f"{base}/in")
         .writeStream.format("json").option("checkpointLocation", f"{base}/cp").option("path", f"{base}/out")
         .trigger(availableNow=True).start())
    try:
        q.awaitTermination(300)
        return "ran"
    except Exception as e:  # noqa: BLE001
        text = " ".join(str(e).split())
        m = re.search(r"terminated with exception: (.*?) SQLSTATE", text)
        return "refused: " + (m.group(1) if m else text)[:300]


def read_back(name, n):
    interval(n)
    try:
        ids = sorted(r.eventId for r in spark.read.json(f"{ROOT}/{name}/out").collect())
        return f"{len(ids)} rows {'distinct' if len(set(ids)) == len(ids) else 'DUPLICATES'}: {ids}"
    except Exception as e:  # noqa: BLE001
        return "reader fails: " + " ".join(str(e).split())[:300]


def case(a, first, b, more):
    name = f"i{a}x{first}_then_i{b}x{more}"
    base = f"{ROOT}/{name}"
    interval(a)
    run(name, 0, first)
    print(f"{name}: after {first} batches at interval {a}: sources/0 {files(base + '/cp/sources/0')}; "
          f"_spark_metadata {files(base + '/out/_spark_metadata')}", flush=True)
    interval(b)
    outcome = run(name, first, more)
    print(f"{name}: {more} files more at interval {b}: {outcome}; sources/0 {files(base + '/cp/sources/0')}; "
          f"_spark_metadata {files(base + '/out/_spark_metadata')}", flush=True)
    print(f"{name}: written e0..e{first + more - 1}; reader at {b}: {read_back(name, b)}", flush=True)
    print(f"{name}: reader at 10: {read_back(name, 10)}", flush=True)


CASES = [
    (3, 7, 5, 6),    # two compactions (2, 5): their distance, 3, stays
    (3, 7, 2, 6),
    (10, 4, 2, 4),   # no compaction yet: the conf is taken, though batch 3 was its turn
    (10, 2, 5, 5),   # no compaction yet, none of the batches was the conf's turn
    (3, 3, 2, 5),    # one compaction (2.compact): deriveCompactInterval(2, 2) = 3
    (3, 3, 5, 5),    # deriveCompactInterval(5, 2) = 3
    (12, 12, 5, 8),  # one compaction (11.compact): the first divisor of 12 at least 5, 6
    (12, 12, 4, 8),  # 4 divides 12: 4
    (12, 12, 7, 8),  # no divisor of 12 in 7..6: 12
    (12, 17, 4, 3),  # 11.compact, 12..16: interval 4 would have compacted batch 15
]
RETAIN_CASES = [
    (3, 7, 3, 6),    # 2.compact expired after batch 6: 5.compact alone, deriveCompactInterval(3, 5) = 6
    (3, 9, 3, 6),    # 8.compact alone: deriveCompactInterval(3, 8) = 3
]
for a, first, b, more in RETAIN_CASES if RETAIN else CASES[int(os.environ.get("Q26E_FROM", "0")):]:
    case(a, first, b, more)
