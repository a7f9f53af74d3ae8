"""Q7: what the file source lists: subdirectories, hidden files, symlinks, empty dirs, FIFOs."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q07")
T = 1_700_000_000_000
PLAN = [{"op": "select", "columns": ["*", "input_file_name() as file"]}]
CONSOLE = {"kind": "console", "options": {"numRows": 1000, "truncate": False}}
SCHEMA = "eventId STRING"


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


def case(name, setup, title, options=None, again=None):
    inp = d.path(name, "in")
    os.makedirs(inp, exist_ok=True)
    setup(inp)
    show(f"CASE {name}: {title}")
    show("input tree", sorted(os.path.relpath(os.path.join(a, f), inp) + ("/" if f in ds else "")
                              for a, ds, fs in os.walk(inp) for f in fs + ds))
    kw = dict(input=inp, checkpoint=d.path(name, "cp"), sink=CONSOLE, plan=PLAN, schema=SCHEMA, timeout_ms=30_000,
              source={"options": options or {}})
    r = d.run(**kw)
    out(r, name)
    if again:
        again(inp)
        show("then: " + again.__doc__)
        out(d.run(**kw), name)


def out(r, name):
    show("run", {k: r.get(k) for k in ("outcome", "zombie", "elapsed_ms")} | {"batches": brief(r)["batches (id, input rows)"]})
    if r.get("error"):
        show("error", [c["class"] + ": " + (c["message"] or "")[:600] for c in r["error"]["chain"]][-1])
    if r["console"]:
        show("console", r["console"])
    p = os.path.join(d.path(name, "cp"), "sources", "0")
    if os.path.isdir(p):
        show("sources/0", {k: v.split("\n")[1:] for k, v in dump_log(p, True).items()})


def flat(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, ".hidden.json"), rec(".hidden"), T + 1000)
    write(os.path.join(inp, "_underscore.json"), rec("_underscore"), T + 2000)
    write(os.path.join(inp, "file.json.tmp"), rec("file.json.tmp"), T + 3000)
    write(os.path.join(inp, "file.json._COPYING_"), rec("file.json._COPYING_"), T + 3500)
    write(os.path.join(inp, "noext"), rec("noext"), T + 4000)
    write(os.path.join(d.dir, "elsewhere", "target.json"), rec("symlink-target"), T + 5000)
    os.symlink(os.path.join(d.dir, "elsewhere", "target.json"), os.path.join(inp, "link.json"))
    os.makedirs(os.path.join(inp, "emptydir"))


case("flat", flat, "hidden, underscore, .tmp, _COPYING_, no extension, symlink to a file, an empty dir")


def flat_dangling(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    os.symlink(os.path.join(d.dir, "elsewhere", "missing.json"), os.path.join(inp, "dangling.json"))


case("dangling", flat_dangling, "a dangling symlink beside a file")


def two_levels(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, "sub", "nested.json"), rec("sub/nested"), T + 1000)


case("two-levels", two_levels, "a file at the top and one in a subdirectory")
case("two-levels-recursive", two_levels, "the same with recursiveFileLookup=true", options={"recursiveFileLookup": "true"})


def mixed(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, "sub", "nested.json"), rec("sub/nested"), T + 1000)
    write(os.path.join(inp, "sub", "deeper", "deep.json"), rec("sub/deeper/deep"), T + 2000)


case("three-levels", mixed, "files at the top, in sub/ and in sub/deeper/")
case("three-levels-recursive", mixed, "the same with recursiveFileLookup=true", options={"recursiveFileLookup": "true"})


def only_subdirs(inp):
    write(os.path.join(inp, "sub", "a.json"), rec("sub/a"), T)
    write(os.path.join(inp, "sub2", "b.json"), rec("sub2/b"), T + 1000)


case("only-subdirs", only_subdirs, "files only in subdirectories (not k=v names)")


def partitions(inp):
    write(os.path.join(inp, "k=v", "a.json"), rec("k=v/a"), T)
    write(os.path.join(inp, "k=w", "b.json"), rec("k=w/b"), T + 1000)


case("partitions", partitions, "files only in k=v partition directories")


def top_and_partition(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, "k=v", "a.json"), rec("k=v/a"), T + 1000)


case("top-and-partition", top_and_partition, "a file at the top and one in a k=v directory")


def everything(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, "sub", "nested.json"), rec("sub/nested"), T + 1000)
    write(os.path.join(inp, "sub", "deeper", "deep.json"), rec("sub/deeper/deep"), T + 2000)
    write(os.path.join(inp, "k=v", "part.json"), rec("k=v/part"), T + 3000)


case("levels-and-partition", everything, "files at the top, in sub/, sub/deeper/ and k=v/")


def hidden_dir(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, ".sub", "x.json"), rec(".sub/x"), T + 1000)
    write(os.path.join(inp, "_sub", "y.json"), rec("_sub/y"), T + 2000)


case("hidden-dir", hidden_dir, "a file at the top, files in .sub/ and _sub/")


def linkdir(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(d.dir, "elsewhere2", "t.json"), rec("linkdir/t"), T + 1000)
    os.symlink(os.path.join(d.dir, "elsewhere2"), os.path.join(inp, "linkdir"))


case("linkdir", linkdir, "a file at the top and a symlink to a directory")


def later_subdir(inp):
    """a subdirectory with a file appears after the first run"""
    write(os.path.join(inp, "sub", "later.json"), rec("sub/later"), T + 1000)


case("later-subdir", lambda inp: write(os.path.join(inp, "top.json"), rec("top"), T), "only top.json at first",
     again=later_subdir)

os.makedirs(d.path("empty", "in", "emptydir"))
r = d.run(input=d.path("empty", "in"), checkpoint=d.path("empty", "cp"), sink=CONSOLE, plan=PLAN, schema=SCHEMA)
show("CASE empty: input holding only an empty directory", brief(r))
show("checkpoint listing", listing(d.path("empty", "cp")))

r = d.run(input=d.path("missing-in"), checkpoint=d.path("missing", "cp"), sink=CONSOLE, plan=PLAN, schema=SCHEMA)
show("CASE missing: the input dir does not exist", brief(r))


def fifo(inp):
    write(os.path.join(inp, "ok.json"), rec("ok"), T)
    os.mkfifo(os.path.join(inp, "pipe.json"))


def feed_fifo(inp):
    """a regular file added (mtime now), and the FIFO's path re-used: now a regular file with data"""
    import time
    now = int(time.time() * 1000)
    os.remove(os.path.join(inp, "pipe.json"))
    write(os.path.join(inp, "pipe.json"), rec("pipe-now-a-file"), now)
    write(os.path.join(inp, "ok2.json"), rec("ok2"), now)


case("fifo", fifo, "a regular file and a FIFO that nobody writes to (timeout 30 s)", again=feed_fifo)
d.close()
