"""Q10: the tutorial's experiment 2 and other tampering with a real checkpoint: exact behaviour."""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q10")


def rec(n):
    return '{"eventId": "%s", "data": {"devices": [{"deviceId": "d", "temperature": 1.0}]}}\n' % n


T = 1_700_000_000_000


def base(name, nfiles, sink_kind="file", crash=None, manager="file-context"):
    """nfiles files, maxFilesPerTrigger=1: one batch per file."""
    inp = d.path(name, "in")
    for i in range(nfiles):
        write(os.path.join(inp, f"f{i}.json"), rec(f"f{i}"), T + i * 1000)
    kw = dict(input=inp, checkpoint=d.path(name, "cp"), plan=TUTORIAL_PLAN, source={"maxFilesPerTrigger": 1},
              sink={"kind": "file", "path": d.path(name, "out")} if sink_kind == "file" else {"kind": "console"},
              checkpoint_manager=manager)
    r = d.run(**kw, crash=crash)
    assert r["outcome"] == ("crashed" if crash else "completed"), r
    return kw


def ls(name):
    cp = d.path(name, "cp")
    return {sub: sorted(os.listdir(os.path.join(cp, sub))) for sub in ("offsets", "commits") if os.path.isdir(os.path.join(cp, sub))}


def restart(name, kw, title, add=None, expect=None):
    if add is not None:
        write(os.path.join(kw["input"], f"{add}.json"), rec(add), T + 100_000)
    r = d.run(**kw)
    show(f"{name}: {title}", brief(r))
    if r.get("error"):
        show("error (chain, trimmed)", [c["class"] + ": " + (c["message"] or "").split("\n=== Streaming Query")[0][:700] for c in r["error"]["chain"]])
    if kw["sink"]["kind"] == "console" and r["console"]:
        show("console", r["console"])
    show("checkpoint after", ls(name))
    if kw["sink"]["kind"] == "file" and expect is not None:
        rows = d.read(kw["sink"]["path"])
        if rows.get("ok"):
            got = sorted(x["eventId"] for x in rows["rows"])
            show("reader sees", {"eventIds": got, "exactly once": got == sorted(expect)})
        else:
            show("reader fails", rows["error"]["message"][:400])
    return r


def rm(name, *rel):
    for p in rel:
        os.remove(os.path.join(d.path(name, "cp"), p))


def truncate(name, rel, n):
    p = os.path.join(d.path(name, "cp"), rel)
    data = open(p, "rb").read()
    open(p, "wb").write(data[:n])
    return data


# --- the tutorial's experiment 2, console and file sink, with Spark's default checkpoint file manager
# (FileContext-based) and with the FileSystem-based one -------------------------------------------
for manager in ("file-context", "file-system"):
    for sink in ("console", "file"):
        n = f"exp2-{manager}-{sink}-crc-left"
        kw = base(n, 2, sink, manager=manager)
        rm(n, "commits/1")
        restart(n, kw, f"[{manager} manager] commits/1 deleted, .1.crc left; restart", expect=["f0", "f1"])
        show("commits/ listing", sorted(os.listdir(os.path.join(d.path(n, "cp"), "commits"))))
        restart(n, kw, "and restart once more, with a new file f9", expect=["f0", "f1", "f9"], add="f9")
        n = f"exp2-{manager}-{sink}-crc-gone"
        kw = base(n, 2, sink, manager=manager)
        rm(n, "commits/1", "commits/.1.crc")
        restart(n, kw, f"[{manager} manager] commits/1 and .1.crc deleted; restart", expect=["f0", "f1"])

# --- commits/0 deleted while 1 and 2 exist ---------------------------------------------------------
n = "commit0-deleted"
kw = base(n, 3)
rm(n, "commits/0", "commits/.0.crc")
restart(n, kw, "commits/0 (+crc) deleted, commits 1, 2 kept; restart with a new file f9", add="f9", expect=["f0", "f1", "f2", "f9"])

# --- commits trail offsets by two: commits/1 and commits/2 (+crc) deleted, offsets 0..2 kept ------------
n = "commits-trail-by-two"
kw = base(n, 3)
rm(n, "commits/1", "commits/.1.crc", "commits/2", "commits/.2.crc")
r = d.run(**kw, log_level="WARN")
show(f"{n}: commits/1, commits/2 (+crc) deleted (latest commit 0, latest offsets 2); restart", brief(r))
show("Spark log at WARN", [l for l in r["spark_log"].splitlines() if "adaptive" not in l])
show("checkpoint after", ls(n))
got = sorted(x["eventId"] for x in d.read(kw["sink"]["path"])["rows"])
show("reader sees", {"eventIds": got, "exactly once": got == ["f0", "f1", "f2"]})

# --- latest offsets/N deleted while commits/N exists --------------------------------------------------
n = "latest-offsets-deleted"
kw = base(n, 2)
rm(n, "offsets/1", "offsets/.1.crc")
restart(n, kw, "offsets/1 (+crc) deleted, commits/1 kept; restart with a new file f9", add="f9", expect=["f0", "f1", "f9"])

# --- zero-byte / torn latest offsets/N, uncommitted (crash before commits/1) and committed -------------
for crc in ("crc-left", "crc-deleted"):
    for committed in (False, True):
        for cut in ("zero", "torn"):
            n = f"offsets-{cut}-{'committed' if committed else 'uncommitted'}-{crc}"
            kw = base(n, 2, crash=None if committed else {"log": "commits", "when": "before", "hit": 2})
            full = truncate(n, "offsets/1", 0 if cut == "zero" else None)
            if cut == "torn":
                truncate(n, "offsets/1", len(full) // 2)
            if crc == "crc-deleted":
                rm(n, "offsets/.1.crc")
            restart(n, kw, f"offsets/1 {cut} ({'commits/1 exists' if committed else 'no commits/1'}), {crc}; restart",
                    expect=["f0", "f1"])

# --- the same torn offsets/1 read through the FileSystem-based manager (it checks .crc files) -----------
n = "offsets-torn-uncommitted-crc-left-file-system-manager"
kw = base(n, 2, crash={"log": "commits", "when": "before", "hit": 2}, manager="file-system")
full = truncate(n, "offsets/1", None)
truncate(n, "offsets/1", len(full) // 2)
restart(n, kw, "[file-system manager] offsets/1 torn (no commits/1), crc left; restart", expect=["f0", "f1"])

# --- zero-byte commits/N ---------------------------------------------------------------------------
for crc in ("crc-left", "crc-deleted"):
    n = f"commits-zero-{crc}"
    kw = base(n, 2)
    truncate(n, "commits/1", 0)
    if crc == "crc-deleted":
        rm(n, "commits/.1.crc")
    restart(n, kw, f"commits/1 zero bytes, {crc}; restart with a new file f9", add="f9", expect=["f0", "f1", "f9"])

# --- garbage metadata ------------------------------------------------------------------------------
for crc in ("crc-left", "crc-deleted"):
    n = f"metadata-garbage-{crc}"
    kw = base(n, 1)
    open(os.path.join(d.path(n, "cp"), "metadata"), "w").write("garbage")
    if crc == "crc-deleted":
        rm(n, ".metadata.crc")
    restart(n, kw, f"metadata = 'garbage', {crc}; restart with a new file f9", add="f9", expect=["f0", "f9"])
n = "metadata-empty"
kw = base(n, 1)
open(os.path.join(d.path(n, "cp"), "metadata"), "w").write("")
rm(n, ".metadata.crc")
restart(n, kw, "metadata zero bytes, crc deleted; restart with a new file f9", add="f9", expect=["f0", "f9"])
n = "metadata-deleted"
kw = base(n, 1)
rm(n, "metadata", ".metadata.crc")
restart(n, kw, "metadata (+crc) deleted; restart with a new file f9", add="f9", expect=["f0", "f9"])

# --- a trailing newline added to log files (crashpoint interop) -------------------------------------
n = "trailing-newline"
kw = base(n, 2, crash={"log": "commits", "when": "before", "hit": 2})
for rel in ("offsets/1", "sources/0/1", "commits/0"):
    p = os.path.join(d.path(n, "cp"), rel)
    open(p, "a").write("\n")
    os.remove(os.path.join(os.path.dirname(p), "." + os.path.basename(p) + ".crc"))
restart(n, kw, "trailing \\n added to offsets/1, sources/0/1, commits/0 (crc deleted); restart", add="f9", expect=["f0", "f1", "f9"])

# --- a .crc that does not match (content changed, crc kept), on a committed, older batch -----------
n = "stale-crc-old-batch"
kw = base(n, 3)
p = os.path.join(d.path(n, "cp"), "offsets", "0")
open(p, "w").write(open(p).read().replace('"batchWatermarkMs":0', '"batchWatermarkMs":0 '))
restart(n, kw, "offsets/0 changed by one byte, .0.crc kept; restart with a new file f9", add="f9", expect=["f0", "f1", "f2", "f9"])
d.close()
