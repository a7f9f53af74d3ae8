"""Q26d2: the input directory missing at moments other than the first start, and stray files in
the checkpoint's log directories.

Part A (input directory): a query (file source, json sink, maxFilesPerTrigger 1) runs batches 0
and 1 (one file each, availableNow); then the input directory is deleted (or deleted and made
again with a new file, or replaced by a regular file holding a JSON line), and the query
restarts. And once under a processing-time trigger (1 s): the directory is deleted while the run
waits for files, then made again with a new file.
Part B (stray files): the same two batches; then a stray entry is put in `offsets/`, `commits/`
or `sources/0/` (a temp name, notes.txt, `N.json`, an editor's `N~`, a leading-zero name, a
directory), a file arrives, the query restarts.
Printed: whether Spark refuses (its words) or runs, the checkpoint after, and the rows a reader
of the output sees. Plain pyspark in local[2]: run with the provisioned venv's python.
"""
import os, re, shutil, time
from plain import SCHEMA, session, under_spark_python

under_spark_python(__file__)

spark, ROOT = session("q26d_dirs")


def why(e):
    text = " ".join(str(e).strip().split())
    m = re.search(r"terminated with exception: (.*?) SQLSTATE", text)
    return type(e).__name__ + ": " + (m.group(1) if m else text)[:300]


def listing(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs
                  if not f.endswith(".crc"))


def line(n):
    return '{"eventId": "e%d", "data": {"devices": [{"deviceId": "d1", "temperature": 21.5}]}}\n' % n


def add(name, n):
    with open(f"{ROOT}/{name}/in/f{n}.json", "w") as f:
        f.write(line(n))


def query(name, trigger):
    cp, out = f"{ROOT}/{name}/cp", f"{ROOT}/{name}/out"
    return (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(f"{ROOT}/{name}/in")
            .writeStream.format("json").option("checkpointLocation", cp).option("path", out)
            .trigger(**trigger).start())


def run(name):
    try:
        q = query(name, {"availableNow": True})
        q.awaitTermination(120)
        return "ran"
    except Exception as e:  # noqa: BLE001
        return f"refused: {why(e)}"


def read_output(name):
    try:
        return f"reader sees {sorted(r.eventId for r in spark.read.json(f'{ROOT}/{name}/out').collect())}"
    except Exception as e:  # noqa: BLE001
        return f"reader fails: {why(e)}"


def two_batches(name):
    os.makedirs(f"{ROOT}/{name}/in")
    for n in range(2):
        add(name, n)
        run(name)


def report(name, outcome):
    print(f"{name}: {outcome}; checkpoint after {listing(f'{ROOT}/{name}/cp')}; {read_output(name)}", flush=True)


def input_case(name, change):
    two_batches(name)
    change(f"{ROOT}/{name}/in", name)
    report(name, run(name))


def deleted(d, name):
    shutil.rmtree(d)


def remade(d, name):
    shutil.rmtree(d)
    os.makedirs(d)
    add(name, 9)


def remade_same_name(d, name):
    shutil.rmtree(d)
    os.makedirs(d)
    with open(f"{d}/f0.json", "w") as f:
        f.write(line(8))


def replaced_by_file(d, name):
    shutil.rmtree(d)
    with open(d, "w") as f:
        f.write(line(9))


print("## A. the input directory", flush=True)
input_case("in-deleted", deleted)
input_case("in-deleted-remade-new-file", remade)
input_case("in-deleted-remade-same-name", remade_same_name)
input_case("in-replaced-by-file", replaced_by_file)

# Deleted while a processing-time run waits for files, then made again with a new file.
name = "in-deleted-while-waiting"
two_batches(name)
q = query(name, {"processingTime": "1 second"})
time.sleep(6)
shutil.rmtree(f"{ROOT}/{name}/in")
time.sleep(6)
state = f"active={q.isActive} exception={why(q.exception()) if q.exception() else None}"
if q.isActive:
    os.makedirs(f"{ROOT}/{name}/in")
    add(name, 9)
    time.sleep(8)
    state += f"; made again with f9: active={q.isActive} exception={why(q.exception()) if q.exception() else None}"
    try:
        q.stop()
    except Exception as e:  # noqa: BLE001
        state += f"; stop: {why(e)}"
report(name, state)


print("## B. stray files in the logs (batches 0 and 1 written)", flush=True)


def stray(name, rel, text=None, directory=False):
    two_batches(name)
    p = f"{ROOT}/{name}/cp/{rel}"
    if directory:
        os.makedirs(p)
        with open(f"{p}/inside", "w") as f:
            f.write("x\n")
    else:
        with open(p, "w") as f:
            f.write(text)
    add(name, 9)
    report(name, run(name))


OFFSETS_2 = 'v1\n{"batchWatermarkMs":0,"batchTimestampMs":1,"conf":{}}\n{"logOffset":2}\n'
stray("offsets-temp", "offsets/.2.0b7c.tmp", "v1\n{")
stray("offsets-notes", "offsets/notes.txt", "my notes\n")
stray("commits-json", "commits/2.json", 'v1\n{"nextBatchWatermarkMs":0}\n')
stray("offsets-tilde", "offsets/1~", "v1\n")
stray("offsets-dir", "offsets/x", directory=True)
stray("offsets-leading-zero-next", "offsets/02", OFFSETS_2)
stray("offsets-leading-zero-dup", "offsets/01", "garbage\n")
stray("commits-leading-zero-next", "commits/02", 'v1\n{"nextBatchWatermarkMs":0}\n')
stray("sources-leading-zero-next", "sources/0/02", 'v1\n')
stray("offsets-plus-next", "offsets/+2", OFFSETS_2)
stray("offsets-numeric-dir-next", "offsets/2", directory=True)
spark.stop()
