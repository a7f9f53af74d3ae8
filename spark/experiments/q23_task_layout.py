"""Q23: a batch's tasks and part files, as Spark 4.3 cuts and packs the batch's input files.

With small spark.sql.files.maxPartitionBytes and spark.sql.files.openCostInBytes values, tiny
files split and pack: for each case, the part files batch 0 (and 1) lists in _spark_metadata, in
log order, each with the eventIds of its rows in file order; whether an empty partition writes a
part file; a malformed line under a cut; whole-file (multiLine) input. Plain pyspark in
local[2] (defaultParallelism 2), no driver: run with the provisioned venv's python.
"""
import json, os, shutil, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from sparkpython import spark_python  # noqa: E402

if os.path.abspath(sys.executable) != os.path.abspath(spark_python()):
    os.execv(spark_python(), [spark_python(), __file__])

from pyspark.sql import SparkSession  # noqa: E402

ROOT = os.environ.get("CRASHPOINT_EXP_ROOT", "/tmp/crashpoint-exp") + "/q23"
shutil.rmtree(ROOT, ignore_errors=True)
spark = SparkSession.builder.master("local[2]").appName("q23").getOrCreate()
spark.sparkContext.setLogLevel("ERROR")
T = 1_700_000_000_000
print(f"defaultParallelism {spark.sparkContext.defaultParallelism}")


def line(ident, size):
    """A JSON Lines record of exactly `size` bytes, newline included."""
    head = '{"eventId":"%s"' % ident
    return head + " " * (size - len(head) - 2) + "}\n"


def write(case, name, text, order):
    path = f"{ROOT}/{case}/in/{name}"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.utime(path, ((T + order * 1000) / 1000,) * 2)


def layout(out):
    """Each batch's part files in sink-log order: (name without uuid, size, eventIds in order)."""
    batches = {}
    meta = f"{out}/_spark_metadata"
    for b in sorted((n for n in os.listdir(meta) if n.isdigit()), key=int):
        parts = []
        for entry in open(f"{meta}/{b}", encoding="utf-8").read().split("\n")[1:]:
            e = json.loads(entry)
            path = e["path"].replace("file:", "")
            rows = [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]
            parts.append((os.path.basename(path)[:10], e["size"], [r.get("eventId") if "_corrupt_record" not in r or
                          r["_corrupt_record"] is None else "corrupt:" + r["_corrupt_record"] for r in rows]))
        batches[b] = parts
    unlisted = sorted(n[:10] for n in os.listdir(out) if n.startswith("part-")
                      and not any(n[:10] == p[0] for ps in batches.values() for p in ps))
    return batches, unlisted


def run(case, confs, schema="eventId STRING", options=None, where=None):
    for k in ("spark.sql.files.maxPartitionBytes", "spark.sql.files.openCostInBytes"):
        spark.conf.unset(k)
    for k, v in confs.items():
        spark.conf.set(k, str(v))
    reader = spark.readStream.schema(schema)
    for k, v in (options or {}).items():
        reader = reader.option(k, v)
    df = reader.json(f"{ROOT}/{case}/in")
    if where:
        df = df.where(where)
    out = f"{ROOT}/{case}/out"
    q = (df.writeStream.format("json").option("path", out).option("checkpointLocation", f"{ROOT}/{case}/cp")
         .trigger(availableNow=True).start())
    q.awaitTermination(120)
    batches, unlisted = layout(out)
    print(f"\n### {case} {confs} {options or ''} {where or ''}")
    sizes = sorted((n, os.path.getsize(f"{ROOT}/{case}/in/{n}")) for n in os.listdir(f"{ROOT}/{case}/in"))
    print(f"input (name, bytes): {sizes}")
    for b, parts in batches.items():
        print(f"batch {b}: {len(parts)} part file(s)")
        for p in parts:
            print(f"  {p[0]} {p[1]} bytes: {p[2]}")
    print(f"part files in the output that no log entry lists: {unlisted}")


SMALL = {"spark.sql.files.maxPartitionBytes": 64, "spark.sql.files.openCostInBytes": 16}

# A. default confs: 3 small files (Q12: 2 part files); which rows go where.
for i, n in enumerate(["a", "b", "c"]):
    write("A", f"{n}.json", line(f"{n}1", 24) + line(f"{n}2", 24), i)
run("A", {})

# B. one 160-byte file of 16-byte lines, max 64, open 16: total 176 / 2 = 88 -> splits of 64;
# lines start at 0, 16, ..., 144: does the line starting exactly at byte 64 belong to split 0?
write("B", "f.json", "".join(line(str(i), 16) for i in range(10)), 0)
run("B", SMALL)

# C. one 200-byte file of 20-byte lines: splits 64, 64, 64, 8; the last holds no line start.
write("C", "f.json", "".join(line(str(i), 20) for i in range(10)), 0)
run("C", SMALL)

# D. packing: files d 70, b 50, a 30, c 20 bytes, max 100, open 10: total 210 / 2 = 105 -> 100;
# sorted by length (70, 50, 30, 20), next fit: [d] [b a] [c]?
for i, (n, size) in enumerate([("a", 30), ("b", 50), ("c", 20), ("d", 70)]):
    write("D", f"{n}.json", line(n + "1", size // 2) + line(n + "2", size - size // 2), i)
run("D", {"spark.sql.files.maxPartitionBytes": 100, "spark.sql.files.openCostInBytes": 10})

# E. ties: four 20-byte files, max 50, open 5: which order do equal lengths keep? Names against
# modification order: z oldest, then x, y, w.
for i, n in enumerate(["z", "x", "y", "w"]):
    write("E", f"{n}.json", line(n, 20), i)
run("E", {"spark.sql.files.maxPartitionBytes": 50, "spark.sql.files.openCostInBytes": 5})

# F. an empty partition first: split 0 (lines 0..4, as B shows) holds only rows a filter drops.
write("F", "f.json", "".join(line("x" if i < 5 else str(i), 16) for i in range(10)), 0)
run("F", SMALL, where="eventId != 'x'")

# G. every row filtered out: does the batch write a part file at all?
write("G", "f.json", "".join(line("x", 16) for i in range(10)), 0)
run("G", SMALL, where="eventId != 'x'")

# H. a malformed line across a cut (permissive mode, _corrupt_record kept): read whole, by the
# split it starts in.
write("H", "f.json", line("0", 16) + line("1", 16) + line("2", 16) + '{"eventId": bad, bad bad bad\n' + line("4", 16), 0)
run("H", SMALL, schema="eventId STRING, _corrupt_record STRING")

# I. whole-file (multiLine) input: a file over maxSplitBytes is not split; small ones pack.
write("I", "big.json", '[' + ",".join('{"eventId":"b%d"}' % i for i in range(8)) + ']', 0)
for i, n in enumerate(["s", "t"]):
    write("I", f"{n}.json", '{"eventId":"%s"}' % n, i + 1)
run("I", SMALL, options={"multiLine": "true"})

# J. the bytes-per-core rule: one 1000-byte file, openCost 64, default max (128 MiB):
# total (1000 + 64) / 2 = 532 -> two splits.
write("J", "f.json", "".join(line(str(i), 50) for i in range(20)), 0)
run("J", {"spark.sql.files.openCostInBytes": 64})

# K. two batches (maxFilesPerTrigger 2): each batch's layout from its own files only.
for i, (n, size) in enumerate([("a", 40), ("b", 80), ("c", 200), ("d", 30)]):
    write("K", f"{n}.json", "".join(line(f"{n}{j}", size // 2) for j in range(2)), i)
run("K", SMALL, options={"maxFilesPerTrigger": "2"})

# L. a byte-order mark: the first split of a file counts it in its bytes.
write("L", "f.json", "\ufeff" + "".join(line(str(i), 16) for i in range(6)), 0)
run("L", SMALL)

# M. the edge: a task filled to exactly maxSplitBytes still takes the split (r 90, p 60, q 30,
# max 100, open 10: total 210 / 2 = 105 -> 100; [r] then p: 60 + 10, then q: 70 + 30 = 100).
for i, (n, size) in enumerate([("p", 60), ("q", 30), ("r", 90)]):
    write("M", f"{n}.json", line(n, size), i)
run("M", {"spark.sql.files.maxPartitionBytes": 100, "spark.sql.files.openCostInBytes": 10})
spark.stop()
