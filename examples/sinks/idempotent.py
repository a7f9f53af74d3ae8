#!/usr/bin/env python3
"""A crashpoint sink in Python, standard library only: correct, exactly-once.

Spark's foreachBatch pattern: each batch's rows and its batch id go into one SQLite
transaction, and a batch id the table already holds is skipped. crashpoint speaks the line
protocol on stdin/stdout (see the README, "Your own sink"):

    batch <id> <n>, then n JSON rows   ->  ok | skip <reason> | error <message>
    read                               ->  one JSON row per line, then: end

State lives in $CRASHPOINT_SINK_DIR (crashpoint makes one per world).
"""
import os
import sqlite3
import sys

db = sqlite3.connect(os.path.join(os.environ["CRASHPOINT_SINK_DIR"], "table.db"), isolation_level=None)
db.execute("PRAGMA synchronous = FULL")  # COMMIT returns once the batch is on the disk
db.execute("CREATE TABLE IF NOT EXISTS rows (batch_id INTEGER, row TEXT)")
db.execute("CREATE TABLE IF NOT EXISTS batches (batch_id INTEGER PRIMARY KEY)")


def answer(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    words = line.split()
    if words[0] == "batch":
        batch_id, count = int(words[1]), int(words[2])
        rows = [sys.stdin.readline().strip() for _ in range(count)]
        db.execute("BEGIN IMMEDIATE")
        if db.execute("SELECT 1 FROM batches WHERE batch_id = ?", (batch_id,)).fetchone():
            db.execute("ROLLBACK")
            answer(f"skip batch {batch_id} is already in the table")
            continue
        db.executemany("INSERT INTO rows VALUES (?, ?)", [(batch_id, row) for row in rows])
        db.execute("INSERT INTO batches VALUES (?)", (batch_id,))
        db.execute("COMMIT")
        answer("ok")
    elif words[0] == "read":
        for (row,) in db.execute("SELECT row FROM rows"):
            sys.stdout.write(row + "\n")
        answer("end")
    else:
        answer(f"error unknown request {line.strip()!r}")
