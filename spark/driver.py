#!/usr/bin/env python3
"""crashpoint's Spark driver: one long-lived pyspark process per crashpoint run.

    python driver.py --java-src DIR --classes DIR [--log-dir DIR] [--master local[2]]

Line protocol: one JSON request per line on stdin, one JSON response per line on stdout
(see PROTOCOL.md). The JVM's stdout (where Spark's console sink prints) and stderr (Spark's log)
are redirected to files in the log directory before the JVM starts, so nothing but responses
ever reaches the real stdout.
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import traceback

PROTOCOL_VERSION = 1
MANAGER_CLASS = "crashpoint.spark.CrashingCheckpointFileManager"  # holds the crash control
INJECTED_CRASH_CLASS = MANAGER_CLASS + "$InjectedCrash"
MANAGER_KEY = "spark.sql.streaming.checkpointFileManagerClass"
# The base class changes behaviour (a stale .N.crc fails Spark's default FileContext-based rename,
# not the FileSystem-based one), so the default is the crashing twin of Spark's default manager.
MANAGERS = {
    "file-context": "crashpoint.spark.CrashingFileContextCheckpointFileManager",
    "file-system": "crashpoint.spark.CrashingCheckpointFileManager",
}
FOREACH_MARKER = "crashpoint injected foreach-batch failure"
TUTORIAL_SCHEMA = ("eventId STRING, data STRUCT<devices: ARRAY<STRUCT<deviceId: STRING, "
                   "temperature: DOUBLE>>>")
DEFAULT_TIMEOUT_MS = 120_000
STOP_TIMEOUT_MS = 15_000
LOGS = ("metadata", "sources", "offsets", "sink", "commits")


class RequestError(Exception):
    """A request that cannot be served as written (the driver stays up)."""


# --------------------------------------------------------------------------------------------
# Output plumbing
# --------------------------------------------------------------------------------------------

class Channels:
    """Keeps the protocol channel clean: responses go to a private dup of the real stdout; fd 1
    (inherited by the JVM) is a log file that receives the console sink's output; fd 2 is Spark's
    log file."""

    def __init__(self, log_dir):
        os.makedirs(log_dir, exist_ok=True)
        self.log_dir = log_dir
        self.console_path = os.path.join(log_dir, "jvm-stdout.log")
        self.stderr_path = os.path.join(log_dir, "jvm-stderr.log")
        sys.stdout.flush()
        sys.stderr.flush()
        self.response = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
        out_fd = os.open(self.console_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        err_fd = os.open(self.stderr_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(out_fd, 1)
        os.dup2(err_fd, 2)
        os.close(out_fd)
        os.close(err_fd)
        # Python's own prints must not land in the console capture either.
        sys.stdout = sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)

    def send(self, obj):
        self.response.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        self.response.flush()

    @staticmethod
    def size(path):
        try:
            return os.path.getsize(path)
        except OSError:
            return 0

    @staticmethod
    def read_from(path, offset):
        with open(path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------
# Java side: compile the crash-injecting checkpoint file manager
# --------------------------------------------------------------------------------------------

def pyspark_jars():
    import pyspark
    return os.path.join(os.path.dirname(pyspark.__file__), "jars")


def compile_java(java_src, classes):
    """Compiles every .java under java_src into classes, only when a source is newer than the
    compiled manager class. Returns True when it compiled."""
    sources = sorted(glob.glob(os.path.join(java_src, "**", "*.java"), recursive=True))
    if not sources:
        raise RuntimeError(f"no .java sources under {java_src}")
    stamp = os.path.join(classes, *MANAGER_CLASS.split(".")) + ".class"
    newest = max(os.path.getmtime(s) for s in sources)
    if os.path.exists(stamp) and os.path.getmtime(stamp) >= newest:
        return False
    javac = shutil.which("javac")
    if javac is None:
        raise RuntimeError("javac not found: install a JDK 17 (e.g. `apt-get install openjdk-17-jdk-headless`)")
    os.makedirs(classes, exist_ok=True)
    cmd = [javac, "--release", "17", "-nowarn", "-d", classes,
           "-cp", os.path.join(pyspark_jars(), "*")] + sources
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError("javac failed:\n" + proc.stdout + proc.stderr)
    os.utime(stamp, None)
    return True


# --------------------------------------------------------------------------------------------
# Plan mapping
# --------------------------------------------------------------------------------------------

CMP_OPS = ["!=", "<=", ">=", "=", "<", ">"]  # crashpoint's order of matching


def condition_column(F, text):
    """crashpoint's filter condition (`path op JSON-literal`, `path is [not] null`) as a Spark
    Column; anything else is handed to Spark SQL as an expression."""
    lower = text.lower()
    for suffix, negated in ((" is not null", True), (" is null", False)):
        if lower.endswith(suffix):
            c = F.col(text[: len(text) - len(suffix)].strip())
            return c.isNotNull() if negated else c.isNull()
    for sym in CMP_OPS:
        if sym in text:
            path, literal = text.split(sym, 1)
            try:
                value = json.loads(literal.strip())
            except ValueError:
                break
            c, v = F.col(path.strip()), F.lit(value)
            return {"!=": c != v, "<=": c <= v, ">=": c >= v, "=": c == v, "<": c < v, ">": c > v}[sym]
    return F.expr(text)


PATH_RE = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$")


def select_column(F, text):
    """crashpoint's `path` or `path as name`; anything else is a Spark SQL expression."""
    words = text.split()
    if len(words) == 1 and PATH_RE.match(words[0]):
        return F.col(words[0])
    if len(words) == 3 and words[1].lower() == "as" and PATH_RE.match(words[0]):
        return F.col(words[0]).alias(words[2])
    return F.expr(text)


def apply_plan(F, df, plan):
    for i, step in enumerate(plan):
        if not isinstance(step, dict) or "op" not in step:
            raise RequestError(f"plan step {i} is not an object with an op: {step!r}")
        try:
            df = apply_step(F, df, step)
        except KeyError as e:
            raise RequestError(f"plan step {i} ({step.get('op')}) lacks the field {e}")
        except RequestError as e:
            raise RequestError(f"plan step {i}: {e}")
    return df


def apply_step(F, df, step):
    """One plan step as Spark column expressions."""
    op = step["op"]
    if op == "explode":
        return df.select("*", F.explode(F.col(step["column"])).alias(step["as"]))
    if op == "filter":
        return df.filter(condition_column(F, step["condition"]))
    if op == "select":
        return df.select(*[select_column(F, c) for c in step["columns"]])
    if op == "processing-time":
        return df.withColumn(step["as"], F.current_timestamp())
    raise RequestError(f"unknown op {op!r} (explode, filter, select, processing-time)")


# --------------------------------------------------------------------------------------------
# Java exceptions
# --------------------------------------------------------------------------------------------

def java_throwable(exc):
    """The Java Throwable behind a Python exception from pyspark/py4j, or None."""
    for attr in ("_origin", "java_exception"):
        t = getattr(exc, attr, None)
        if t is not None:
            return t
    return None


def describe_throwable(t):
    """{'class','message','condition','chain':[{class,message}...]} for a Java Throwable."""
    chain = []
    seen = 0
    cur = t
    while cur is not None and seen < 20:
        try:
            msg = cur.getMessage()
        except Exception:
            msg = None
        chain.append({"class": cur.getClass().getName(), "message": msg})
        nxt = cur.getCause()
        if nxt is None or nxt.equals(cur):
            break
        cur = nxt
        seen += 1
    out = {"class": chain[0]["class"], "message": chain[0]["message"], "chain": chain}
    try:
        cond = t.getCondition()
        if cond:
            out["condition"] = cond
    except Exception:
        pass
    return out


def describe_exception(exc):
    t = java_throwable(exc)
    if t is not None:
        return describe_throwable(t)
    return {"class": "python:" + type(exc).__name__, "message": str(exc),
            "chain": [{"class": "python:" + type(exc).__name__, "message": str(exc)}]}


def is_injected(err):
    if err is None:
        return None
    for link in err.get("chain", []):
        if link["class"] == INJECTED_CRASH_CLASS:
            return "checkpoint"
        if FOREACH_MARKER in (link.get("message") or ""):
            return "foreach-batch"
    return None


# --------------------------------------------------------------------------------------------
# foreachBatch sink
# --------------------------------------------------------------------------------------------

def table_batches(path):
    done = set()
    if not os.path.exists(path):
        return done
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    done.add(json.loads(line)["batch"])
                except (ValueError, KeyError, TypeError):
                    pass
    return done


def append_line(path, obj):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(obj, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def run_hooks(hooks, batch_id, record):
    for h in hooks:
        if h.get("batch") != batch_id:
            continue
        path = h["write"]
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(h.get("content", ""))
        if "mtime_ms" in h:
            t = h["mtime_ms"] / 1000.0
            os.utime(path, (t, t))
        record.append({"batch": batch_id, "wrote": path})


def make_foreach_batch(sink, events, ctx):
    table = sink["table"]
    idempotent = bool(sink.get("idempotent", False))
    fail = sink.get("fail")  # {"batch": N, "after_rows": k}
    hooks = sink.get("on_batch", [])
    sleep_ms = int(sink.get("sleep_ms", 0))  # a slow sink (e.g. to exercise timeouts)

    def fn(df, batch_id):
        rows = [json.loads(r) for r in df.toJSON().collect()]
        events.append({"batch": batch_id, "rows": len(rows)})
        run_hooks(hooks, batch_id, events)
        if sleep_ms:
            time.sleep(sleep_ms / 1000.0)
        if ctx.get("cancelled"):  # the run timed out while this batch was running: write nothing
            events.append({"batch": batch_id, "cancelled": True})
            raise RuntimeError(f"crashpoint: batch {batch_id} abandoned after the run's timeout")
        if idempotent and batch_id in table_batches(table):
            events.append({"batch": batch_id, "skipped": True})
            return
        if fail is not None and fail.get("batch") == batch_id:
            k = fail.get("after_rows", len(rows) // 2)
            if k > 0:
                append_line(table, {"batch": batch_id, "rows": rows[:k]})
            raise RuntimeError(f"{FOREACH_MARKER}: batch {batch_id} after {k} of {len(rows)} rows")
        append_line(table, {"batch": batch_id, "rows": rows})

    return fn


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------

def trim_progress(p):
    out = {k: p.get(k) for k in ("batchId", "numInputRows", "timestamp", "batchDuration") if k in p}
    out["durationMs"] = p.get("durationMs")
    out["sources"] = [{k: s.get(k) for k in ("startOffset", "endOffset", "latestOffset", "numInputRows")}
                      for s in p.get("sources", [])]
    out["sink"] = p.get("sink")
    # A trigger that found no new data reports progress too (batchId = the next batch, not run).
    out["executed"] = "addBatch" in (p.get("durationMs") or {})
    return out


class Driver:
    def __init__(self, java_src, classes, channels, master="local[2]"):
        self.java_src = java_src
        self.classes = os.path.abspath(classes)
        self.ch = channels
        self.master = master
        self.spark = None
        self.start_error = None
        self.jvm_start_ms = None
        self.compiled = None
        self.run_counter = 0
        self.zombies = []

    # -- start-up --------------------------------------------------------------------------
    def start(self):
        t0 = time.monotonic()
        try:
            self.compiled = compile_java(self.java_src, self.classes)
            from pyspark.sql import SparkSession
            self.spark = (SparkSession.builder.master(self.master).appName("crashpoint")
                          .config("spark.ui.enabled", "false")
                          .config("spark.sql.shuffle.partitions", "2")
                          .config("spark.sql.session.timeZone", "UTC")
                          .config("spark.ui.showConsoleProgress", "false")
                          # stop() after a timeout waits this long for the running batch, then
                          # gives up (the query is reported as a zombie) instead of hanging the driver
                          .config("spark.sql.streaming.stopTimeout", f"{STOP_TIMEOUT_MS}ms")
                          .config("spark.driver.extraClassPath", self.classes)
                          .config(MANAGER_KEY, MANAGERS["file-context"])
                          .getOrCreate())
            self.spark.sparkContext.setLogLevel("ERROR")
            self.mgr().disarm()
        except Exception as e:  # keep serving: every request reports this
            self.start_error = "Spark did not start: " + "".join(
                traceback.format_exception_only(type(e), e)).strip()
        self.jvm_start_ms = int((time.monotonic() - t0) * 1000)

    def mgr(self):
        return getattr(self.spark._jvm.crashpoint.spark, "CrashingCheckpointFileManager")

    def need_spark(self):
        if self.spark is None:
            raise RequestError(self.start_error or "Spark is not running")

    # -- requests --------------------------------------------------------------------------
    def handle(self, req):
        if not isinstance(req, dict):
            raise RequestError("a request is a JSON object")
        op = req.get("op")
        if op == "hello":
            return self.op_hello()
        if op == "run":
            return self.op_run(req)
        if op == "read-file-sink":
            return self.op_read_file_sink(req)
        if op == "sql":
            return self.op_sql(req)
        if op == "shutdown":
            return {}
        raise RequestError(f"unknown op {op!r}: hello, run, read-file-sink, sql, shutdown")

    def op_sql(self, req):
        """A batch SQL query: its rows as JSON, and what `show()` prints for it."""
        self.need_spark()
        if not isinstance(req.get("query"), str):
            raise RequestError("sql needs a query string")
        df = self.spark.sql(req["query"])
        out = {"columns": df.columns, "rows": [json.loads(r) for r in df.toJSON().collect()]}
        show = req.get("show")
        if show is not None:
            show = show if isinstance(show, dict) else {}
            # exactly what df.show() prints (its show string and a newline)
            out["console"] = df._show_string(int(show.get("numRows", 20)), show.get("truncate", True),
                                             bool(show.get("vertical", False))) + "\n"
        return out

    def op_hello(self):
        out = {"protocol": PROTOCOL_VERSION, "python": sys.version.split()[0],
               "jvm_start_ms": self.jvm_start_ms, "master": self.master,
               "log_dir": self.ch.log_dir, "classes": self.classes, "compiled": self.compiled}
        self.need_spark()
        jvm = self.spark._jvm
        out["spark"] = self.spark.version
        out["java"] = jvm.java.lang.System.getProperty("java.version")
        out["scala"] = jvm.scala.util.Properties.versionNumberString()
        out["checkpoint_file_manager"] = self.spark.conf.get(MANAGER_KEY)
        out["checkpoint_managers"] = MANAGERS
        return out

    def op_read_file_sink(self, req):
        self.need_spark()
        path = req.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            raise RequestError("read-file-sink needs an absolute path")
        reader = self.spark.read
        if req.get("schema"):
            reader = reader.schema(req["schema"])
        try:
            df = reader.json(path)
            rows = [json.loads(r) for r in df.toJSON().collect()]
            files = sorted(df.inputFiles())
            return {"rows": rows, "files": files, "columns": df.columns}
        except Exception as e:
            err = describe_exception(e)
            if err.get("condition") == "UNABLE_TO_INFER_SCHEMA":
                # Spark's reader sees no data file at all (e.g. only empty batches in the log).
                return {"rows": [], "files": [], "columns": [], "note": err["message"]}
            raise

    def build_query(self, req, events, ctx):
        from pyspark.sql import functions as F
        for key in ("input", "checkpoint"):
            if not isinstance(req.get(key), str) or not os.path.isabs(req[key]):
                raise RequestError(f"run needs an absolute path in {key!r}")
        src = req.get("source") or {}
        fmt = src.get("format", "json-lines")
        mode = src.get("mode", "permissive")
        reader = self.spark.readStream.format("json").schema(req.get("schema") or TUTORIAL_SCHEMA)
        modes = {"permissive": "PERMISSIVE", "failfast": "FAILFAST", "dropmalformed": "DROPMALFORMED"}
        if mode not in modes:
            raise RequestError(f"source.mode must be one of {sorted(modes)}, not {mode!r}")
        reader = reader.option("mode", modes[mode])
        if fmt == "whole-file":
            reader = reader.option("multiLine", "true")
        elif fmt != "json-lines":
            raise RequestError(f"source.format must be json-lines or whole-file, not {fmt!r}")
        if src.get("maxFilesPerTrigger") is not None:
            reader = reader.option("maxFilesPerTrigger", str(src["maxFilesPerTrigger"]))
        for k, v in (src.get("options") or {}).items():
            reader = reader.option(k, str(v).lower() if isinstance(v, bool) else str(v))
        df = reader.load(req["input"])
        df = apply_plan(F, df, req.get("plan") or [])

        w = df.writeStream.outputMode(req.get("output_mode", "append")).option(
            "checkpointLocation", req["checkpoint"])
        trig = req.get("trigger", "available-now")
        if trig == "available-now":
            w = w.trigger(availableNow=True)
        elif trig == "once":
            w = w.trigger(once=True)
        elif isinstance(trig, dict) and "processing-time-ms" in trig:
            w = w.trigger(processingTime=f"{int(trig['processing-time-ms'])} milliseconds")
        elif isinstance(trig, dict) and isinstance(trig.get("processing-time"), str):
            # The interval as the user wrote it: Spark's trigger() reads or refuses it.
            w = w.trigger(processingTime=trig["processing-time"])
        else:
            raise RequestError(f"unknown trigger {trig!r}: \"available-now\", \"once\", "
                               "{\"processing-time-ms\": N} or {\"processing-time\": \"<interval>\"}")
        sink = req.get("sink") or {"kind": "console"}
        kind = sink.get("kind")
        memory_name = None
        if kind == "console":
            w = w.format("console")
        elif kind == "file":
            if not isinstance(sink.get("path"), str) or not os.path.isabs(sink["path"]):
                raise RequestError("a file sink needs an absolute path")
            w = w.format("json").option("path", sink["path"])
        elif kind == "memory":
            self.run_counter += 1
            memory_name = sink.get("name") or f"crashpoint_memory_{self.run_counter}"
            w = w.format("memory").queryName(memory_name)
        elif kind == "foreach-batch":
            if not isinstance(sink.get("table"), str) or not os.path.isabs(sink["table"]):
                raise RequestError("a foreach-batch sink needs an absolute table path")
            w = w.foreachBatch(make_foreach_batch(sink, events, ctx))
        else:
            raise RequestError(f"unknown sink kind {kind!r}: console, file, memory, foreach-batch")
        for k, v in (sink.get("options") or {}).items():
            w = w.option(k, str(v).lower() if isinstance(v, bool) else str(v))
        if req.get("query_name") and memory_name is None:
            w = w.queryName(req["query_name"])
        return w, trig, memory_name

    def op_run(self, req):
        self.need_spark()
        timeout_ms = int(req.get("timeout_ms") or DEFAULT_TIMEOUT_MS)
        crash = req.get("crash")
        manager = req.get("checkpoint_manager", "file-context")
        if manager not in MANAGERS:
            raise RequestError(f"checkpoint_manager must be one of {sorted(MANAGERS)}")
        if not isinstance(req.get("conf") or {}, dict):
            raise RequestError("conf must be an object")
        mgr = self.mgr()
        if crash:
            if crash.get("log") in ("foreach-batch",):
                raise RequestError("a foreach-batch failure is asked in the sink: {\"fail\": {...}}")
            when = crash.get("when")
            if when not in ("before", "during", "after"):
                raise RequestError("crash.when must be before, during or after")
            if crash.get("log") not in LOGS + ("any",):
                raise RequestError(f"crash.log must be one of {list(LOGS) + ['any']}")
            hit = int(crash.get("hit", -1) if crash.get("hit") is not None else -1)
            batch = int(crash.get("batch", -1) if crash.get("batch") is not None else -1)
            if hit <= 0 and batch < 0:
                raise RequestError("crash needs hit >= 1 or batch >= 0")
            mgr.arm(crash["log"], when, hit, batch)
        else:
            mgr.disarm()

        conf = {MANAGER_KEY: MANAGERS[manager], **(req.get("conf") or {})}
        conf_old = {}
        for k, v in conf.items():
            conf_old[k] = self.spark.conf.get(k, None)
            if v is None:
                self.spark.conf.unset(k)
            else:
                self.spark.conf.set(k, str(v).lower() if isinstance(v, bool) else str(v))
        level = req.get("log_level")
        if level:
            self.spark.sparkContext.setLogLevel(str(level).upper())
        console_at = Channels.size(self.ch.console_path)
        log_at = Channels.size(self.ch.stderr_path)
        events = []
        ctx = {"cancelled": False}
        result = {"outcome": None, "error": None, "crash": None}
        t0 = time.monotonic()
        query = None
        try:
            try:
                writer, trig, memory_name = self.build_query(req, events, ctx)
                query = writer.start()
            except RequestError:
                raise
            except Exception as e:
                result["outcome"] = "failed"
                result["error"] = describe_exception(e)
                result["error"]["stage"] = "start"
            if query is not None:
                result.update(self.wait(query, trig, timeout_ms / 1000.0, ctx))
                if memory_name is not None:
                    result["memory_rows"] = [json.loads(r) for r in
                                             self.spark.sql(f"SELECT * FROM `{memory_name}`").toJSON().collect()]
        finally:
            for k, v in conf_old.items():
                if v is None:
                    self.spark.conf.unset(k)
                else:
                    self.spark.conf.set(k, v)
            if level:
                self.spark.sparkContext.setLogLevel("ERROR")
            still_armed = mgr.isArmed()
            mgr_struck = mgr.struckJson()
            hits = json.loads(mgr.hitsJson())
            writes = json.loads(mgr.writesJson())
            mgr.disarm()
        result["elapsed_ms"] = int((time.monotonic() - t0) * 1000)
        injected = is_injected(result["error"])
        if injected == "checkpoint" and mgr_struck:
            result["outcome"] = "crashed"
            result["crash"] = json.loads(mgr_struck)
        elif injected == "foreach-batch":
            result["outcome"] = "crashed"
            result["crash"] = {"log": "foreach-batch", "when": "during",
                               "message": next(l["message"] for l in result["error"]["chain"]
                                               if FOREACH_MARKER in (l.get("message") or ""))}
        result["crash_armed_but_not_reached"] = bool(crash) and still_armed
        result["hits"] = {log: hits.get(log, 0) for log in LOGS}
        result["writes"] = writes
        result["console"] = Channels.read_from(self.ch.console_path, console_at)
        result["spark_log"] = Channels.read_from(self.ch.stderr_path, log_at)
        if req.get("sink", {}).get("kind") == "foreach-batch":
            result["foreach_batch"] = events
        return result

    def wait(self, query, trig, timeout_s, ctx):
        """Waits for the query as its trigger asks; stops it on timeout."""
        out = {"query_id": query.id, "run_id": query.runId}
        jq = query._jsq
        timed_out = False
        if isinstance(trig, dict):
            # processing time: process everything available, then stop cleanly
            box = {}

            def pump():
                try:
                    query.processAllAvailable()
                except Exception as e:  # the query died; its exception is read below
                    box["e"] = e
            th = threading.Thread(target=pump, daemon=True)
            th.start()
            th.join(timeout_s)
            timed_out = th.is_alive()
            ctx["cancelled"] = timed_out
            self.stop(query, out)
            th.join(5)
        else:
            try:
                finished = query.awaitTermination(timeout_s)
                timed_out = not finished
            except Exception:
                pass  # read from query.exception() below
            if timed_out:
                ctx["cancelled"] = True
                self.stop(query, out)
        exc = jq.exception()
        err = describe_throwable(exc.get()) if exc.isDefined() else None
        if timed_out:
            out["outcome"] = "timeout"
            out["error"] = err or {"class": "timeout", "message": f"no end after {timeout_s:.1f} s; stopped",
                                   "chain": []}
        elif err is not None:
            out["outcome"] = "failed"
            out["error"] = err
        else:
            out["outcome"] = "completed"
            out["error"] = None
        progress = [json.loads(p.json()) for p in jq.recentProgress()]
        out["batches"] = [trim_progress(p) for p in progress]
        return out

    def stop(self, query, out):
        try:
            query.stop()
        except Exception as e:
            out["stop_error"] = describe_exception(e)
        if query.isActive:
            self.zombies.append(query)
            out["zombie"] = True

    def shutdown(self):
        if self.spark is not None:
            try:
                for q in self.spark.streams.active:
                    try:
                        q.stop()
                    except Exception:
                        pass
                self.spark.stop()
            except Exception:
                pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--java-src", required=True)
    ap.add_argument("--classes", required=True)
    ap.add_argument("--log-dir", default=None, help="where the JVM's stdout/stderr go (default: a temp dir)")
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args(argv)
    if args.log_dir is None:
        import tempfile
        args.log_dir = tempfile.mkdtemp(prefix="crashpoint-spark-")
    ch = Channels(args.log_dir)
    driver = Driver(args.java_src, args.classes, ch, args.master)
    driver.start()
    stdin = open(0, encoding="utf-8", errors="replace", closefd=False)
    for line in stdin:
        line = line.strip()
        if not line:
            continue
        rid = None
        op = None
        try:
            req = json.loads(line)
            if isinstance(req, dict):
                rid, op = req.get("id"), req.get("op")
            resp = driver.handle(req)
            resp = {"ok": True, "op": op, **resp}
        except RequestError as e:
            resp = {"ok": False, "op": op, "error": {"class": "request", "message": str(e), "chain": []}}
        except ValueError as e:
            resp = {"ok": False, "op": op, "error": {"class": "request", "message": f"not JSON: {e}", "chain": []}}
        except Exception as e:
            err = describe_exception(e)
            if java_throwable(e) is None:  # a bug in the driver itself: say where
                err["traceback"] = traceback.format_exc()
            resp = {"ok": False, "op": op, "error": err}
        if rid is not None:
            resp["id"] = rid
        ch.send(resp)
        if op == "shutdown":
            break
    driver.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
