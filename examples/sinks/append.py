#!/usr/bin/env python3
"""A crashpoint sink in Python with the classic foreachBatch bug: it ignores the batch id.

Every batch it is handed is appended, durably (fsync before it answers), but a batch that
Spark hands over again after a crash (written, then the query died before commits/N) is
appended a second time. crashpoint catches it: "record ... written twice: batch 1 was handed
to the sink 2 times ...".
"""
import os
import sys

path = os.path.join(os.environ["CRASHPOINT_SINK_DIR"], "table.jsonl")


def answer(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    words = line.split()
    if words[0] == "batch":
        count = int(words[2])
        rows = [sys.stdin.readline() for _ in range(count)]
        with open(path, "a") as table:
            table.writelines(rows)
            table.flush()
            os.fsync(table.fileno())
        answer("ok")
    elif words[0] == "read":
        if os.path.exists(path):
            with open(path) as table:
                sys.stdout.write(table.read())
        answer("end")
    else:
        answer(f"error unknown request {line.strip()!r}")
