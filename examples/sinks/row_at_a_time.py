#!/usr/bin/env python3
"""A crashpoint sink in Python with a subtler bug: it checks the batch id, but inserts each row
as it arrives (autocommit) and records the batch id only at the end.

Crashes between batches never show it: a batch is either wholly in the table with its id, or
not at all. Killed in the middle of a batch (`crashpoint explore --kill-sink`), it keeps the
rows it had, without the id; the batch comes again and those rows are written twice.
"""
import os
import sqlite3
import sys

db = sqlite3.connect(os.path.join(os.environ["CRASHPOINT_SINK_DIR"], "table.db"), isolation_level=None)
db.execute("PRAGMA synchronous = FULL")
db.execute("CREATE TABLE IF NOT EXISTS rows (batch_id INTEGER, row TEXT)")
db.execute("CREATE TABLE IF NOT EXISTS batches (batch_id INTEGER PRIMARY KEY)")


def answer(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    words = line.split()
    if words[0] == "batch":
        batch_id, count = int(words[1]), int(words[2])
        held = db.execute("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
        for _ in range(count):
            row = sys.stdin.readline().strip()
            if not held:
                db.execute("INSERT INTO rows VALUES (?, ?)", (batch_id, row))  # the bug: one commit per row
        if held:
            answer(f"skip batch {batch_id} is already in the table")
            continue
        db.execute("INSERT INTO batches VALUES (?)", (batch_id,))
        answer("ok")
    elif words[0] == "read":
        for (row,) in db.execute("SELECT row FROM rows"):
            sys.stdout.write(row + "\n")
        answer("end")
    else:
        answer(f"error unknown request {line.strip()!r}")
