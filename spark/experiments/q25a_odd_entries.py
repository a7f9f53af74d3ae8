"""Q25a: the input entries fuzz now draws that Q7 did not measure: a socket, and a symlink to a
directory, a dangling symlink and a FIFO beside a symlink to a file, all in one listing."""
import sys, os, socket
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import *

d = Driver("q25a")
T = 1_700_000_000_000
PLAN = [{"op": "select", "columns": ["*", "input_file_name() as file"]}]
CONSOLE = {"kind": "console", "options": {"numRows": 1000, "truncate": False}}
SCHEMA = "eventId STRING"


def rec(n):
    return '{"eventId": "%s"}\n' % n


def case(name, setup, title):
    inp = d.path(name, "in")
    os.makedirs(inp, exist_ok=True)
    setup(inp)
    show(f"CASE {name}: {title}")
    show("input", sorted(os.listdir(inp)))
    r = d.run(input=inp, checkpoint=d.path(name, "cp"), sink=CONSOLE, plan=PLAN, schema=SCHEMA, timeout_ms=30_000)
    show("run", {k: r.get(k) for k in ("outcome", "zombie")} | {"batches": brief(r)["batches (id, input rows)"]})
    if r.get("error"):
        show("error", [c["class"] + ": " + (c["message"] or "")[:600] for c in r["error"]["chain"]][-1])
    if r["console"]:
        show("console", r["console"])
    p = os.path.join(d.path(name, "cp"), "sources", "0")
    if os.path.isdir(p):
        show("sources/0", {k: v.split("\n")[1:] for k, v in dump_log(p, True).items()})


def with_socket(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(os.path.join(inp, "socket.json"))
    s.close()


case("socket", with_socket, "a regular file and a Unix socket (its listener closed)")


def all_odd(inp):
    write(os.path.join(inp, "top.json"), rec("top"), T)
    write(os.path.join(inp, ".target.json"), rec("via-link"), T + 1000)
    write(os.path.join(inp, ".target-dir", "d.json"), rec("in-linked-dir"), T + 2000)
    os.symlink(os.path.join(inp, ".target.json"), os.path.join(inp, "link-file.json"))
    os.symlink(os.path.join(inp, ".target-dir"), os.path.join(inp, "link-dir.json"))
    os.symlink(os.path.join(inp, "nowhere"), os.path.join(inp, "link-nowhere.json"))
    os.mkfifo(os.path.join(inp, "fifo.json"))


case("fuzz-entries", all_odd, "fuzz's entries: links to a hidden file, a hidden dir, nothing; a FIFO")
d.close()
