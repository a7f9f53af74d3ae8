package crashpoint.spark;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.execution.streaming.checkpointing.CheckpointFileManager;
import org.apache.spark.sql.execution.streaming.checkpointing.FileSystemBasedCheckpointFileManager;

/**
 * Spark's {@code FileSystemBasedCheckpointFileManager} with crash injection, for crashpoint; it also
 * holds the JVM-global crash control shared with {@link CrashingFileContextCheckpointFileManager}
 * (the same injection over Spark's default manager, {@code FileContextBasedCheckpointFileManager}).
 *
 * <p>Which base to use matters: Spark's default (FileContext-based) rename fails when a stale
 * {@code .N.crc} sidecar exists at the destination, the FileSystem-based one does not. Use
 * {@link CrashingFileContextCheckpointFileManager} to keep Spark's default behaviour.
 *
 * <p>Spark instantiates it through {@code spark.sql.streaming.checkpointFileManagerClass} for every
 * metadata log (checkpoint {@code metadata}, {@code sources/0}, {@code offsets}, {@code commits},
 * the file sink's {@code _spark_metadata}). Every atomic write ({@link #createAtomic}) is counted per
 * log; when armed, the chosen write throws {@link InjectedCrash} (log {@code "any"} counts the atomic
 * writes of every log together, as crashpoint's {@code during-log-write} does):
 *
 * <ul>
 *   <li>{@code before}: in {@code createAtomic}, before anything (not even the temp file) is written;
 *   <li>{@code during}: on the stream's close, after the temp file {@code .N.<uuid>.tmp} has been
 *       written and closed, before the rename: the temp file is left behind (Spark's cancel is
 *       suppressed) and {@code N} does not exist;
 *   <li>{@code after}: on the stream's close, after the rename has landed: {@code N} exists and is
 *       complete.
 * </ul>
 *
 * <p>Arming is JVM-global (static), set from Python through py4j before each run. The crash strikes
 * once and disarms itself. {@link InjectedCrash} is an unchecked exception and deliberately not a
 * {@code FileAlreadyExistsException} (which Spark reports as a concurrent update).
 */
public class CrashingCheckpointFileManager extends FileSystemBasedCheckpointFileManager {

    /** The exception a crash throws. Its message starts with {@link #MARKER}. */
    public static class InjectedCrash extends RuntimeException {
        public InjectedCrash(String message) {
            super(message);
        }
    }

    /** Every injected crash's message starts with this. */
    public static final String MARKER = "crashpoint injected crash";

    // ---- JVM-global state, guarded by LOCK ----
    private static final Object LOCK = new Object();
    private static String armedLog = null;
    private static String armedWhen = null;
    private static int armedHit = -1;      // k-th write of the log in this run (1-based), or -1
    private static long armedBatch = -1;   // or the write of this batch id, or -1
    private static String struck = null;   // JSON of where the crash struck, or null
    private static final Map<String, Integer> HITS = new LinkedHashMap<>();
    private static int anyHits = 0;        // atomic writes of every log in this run (for log "any")
    private static final List<String> WRITES = new ArrayList<>();

    public CrashingCheckpointFileManager(Path path, Configuration hadoopConf) {
        super(path, hadoopConf);
    }

    // ---- control, called from Python through py4j ----

    /** Arms a crash at the {@code hit}-th atomic write (1-based) of {@code log} in this run. */
    public static void arm(String log, String when, int hit) {
        arm(log, when, hit, -1L);
    }

    /**
     * Arms a crash at an atomic write of {@code log}: the {@code hit}-th of this run (1-based) when
     * {@code hit > 0}, and/or the one for batch {@code batch} when {@code batch >= 0}. Resets the
     * counters.
     */
    public static void arm(String log, String when, int hit, long batch) {
        if (!("before".equals(when) || "during".equals(when) || "after".equals(when))) {
            throw new IllegalArgumentException("when must be before, during or after, not " + when);
        }
        if (hit <= 0 && batch < 0) {
            throw new IllegalArgumentException("give a hit >= 1 or a batch >= 0");
        }
        synchronized (LOCK) {
            reset();
            armedLog = log;
            armedWhen = when;
            armedHit = hit;
            armedBatch = batch;
        }
    }

    /** Disarms and resets the counters (start of a run without a crash). */
    public static void disarm() {
        synchronized (LOCK) {
            reset();
        }
    }

    private static void reset() {
        armedLog = null;
        armedWhen = null;
        armedHit = -1;
        armedBatch = -1;
        struck = null;
        anyHits = 0;
        HITS.clear();
        WRITES.clear();
    }

    /** Whether a crash is armed and has not struck yet. */
    public static boolean isArmed() {
        synchronized (LOCK) {
            return armedLog != null;
        }
    }

    /** JSON object: where the crash struck in this run, or {@code null}. */
    public static String struckJson() {
        synchronized (LOCK) {
            return struck;
        }
    }

    /** JSON object: atomic writes per log in this run (attempts, the crashed one included). */
    public static String hitsJson() {
        synchronized (LOCK) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<String, Integer> e : HITS.entrySet()) {
                if (!first) sb.append(',');
                first = false;
                sb.append(quote(e.getKey())).append(':').append(e.getValue());
            }
            return sb.append('}').toString();
        }
    }

    /** JSON array: every atomic write attempt of this run, in order: {"log","file","hit"}. */
    public static String writesJson() {
        synchronized (LOCK) {
            return "[" + String.join(",", WRITES) + "]";
        }
    }

    // ---- classification ----

    /** The crashpoint name of the log that {@code path} belongs to. */
    static String logOf(Path path) {
        Path parent = path.getParent();
        String p = parent == null ? "" : parent.getName();
        Path grand = parent == null ? null : parent.getParent();
        String g = grand == null ? "" : grand.getName();
        if ("offsets".equals(p)) return "offsets";
        if ("commits".equals(p)) return "commits";
        if ("_spark_metadata".equals(p)) return "sink";
        if ("sources".equals(g)) return "sources";
        if ("metadata".equals(path.getName())) return "metadata";
        return "other:" + p;
    }

    /** The batch id in a log file name ("7", "9.compact"), or -1. */
    static long batchOf(Path path) {
        String name = path.getName();
        int dot = name.indexOf('.');
        String digits = dot < 0 ? name : name.substring(0, dot);
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    /** Counts this write; returns the crash position ("before", "during", "after") or null. */
    private static String register(Path path) {
        String log = logOf(path);
        synchronized (LOCK) {
            int hit = HITS.getOrDefault(log, 0) + 1;
            HITS.put(log, hit);
            anyHits += 1;
            WRITES.add("{\"log\":" + quote(log) + ",\"file\":" + quote(path.getName()) + ",\"hit\":" + hit + "}");
            boolean any = "any".equals(armedLog);
            if (armedLog == null || !(any || armedLog.equals(log))) return null;
            if (any) hit = anyHits; // "any": the k-th atomic write of whichever log
            long batch = batchOf(path);
            boolean hitMatches = armedHit <= 0 || armedHit == hit;
            boolean batchMatches = armedBatch < 0 || armedBatch == batch;
            if (!(hitMatches && batchMatches)) return null;
            String when = armedWhen;
            struck = "{\"log\":" + quote(log) + ",\"when\":" + quote(when) + ",\"hit\":" + hit
                    + ",\"batch\":" + batch + ",\"file\":" + quote(path.getName())
                    + ",\"path\":" + quote(path.toString()) + "}";
            armedLog = null;
            armedWhen = null;
            return when;
        }
    }

    static InjectedCrash crash(String when, Path path) {
        return new InjectedCrash(MARKER + " " + when + " the write of " + logOf(path) + " " + path);
    }

    /** The atomic write that Spark would do, as a callback (super.createAtomic of either base class). */
    interface AtomicWrite {
        CheckpointFileManager.CancellableFSDataOutputStream open();
    }

    /** Counts the atomic write of {@code path} and crashes it when armed for it. */
    static CheckpointFileManager.CancellableFSDataOutputStream intercept(Path path, AtomicWrite write) {
        String when = register(path);
        if ("before".equals(when)) {
            throw crash("before", path);
        }
        CheckpointFileManager.CancellableFSDataOutputStream inner = write.open();
        if (when == null) {
            return inner;
        }
        return new CrashingStream(inner, path, when);
    }

    @Override
    public CheckpointFileManager.CancellableFSDataOutputStream createAtomic(Path path, boolean overwriteIfPossible) {
        return intercept(path, () -> super.createAtomic(path, overwriteIfPossible));
    }

    /** Wraps Spark's rename-based stream and crashes on its close. */
    static final class CrashingStream extends CheckpointFileManager.CancellableFSDataOutputStream {
        private final CheckpointFileManager.CancellableFSDataOutputStream inner;
        private final Path path;
        private final String when;
        private boolean terminated = false;

        CrashingStream(CheckpointFileManager.CancellableFSDataOutputStream inner, Path path, String when) {
            super(inner);
            this.inner = inner;
            this.path = path;
            this.when = when;
        }

        @Override
        public synchronized void close() throws IOException {
            if (terminated) return;
            terminated = true;
            flush();
            if ("during".equals(when)) {
                // Close the temp file so that its bytes are complete on disk, but never rename it.
                inner.underlyingStream().close();
            } else {
                inner.close(); // writes the temp file and renames it to the final path
            }
            throw crash(when, path);
        }

        @Override
        public synchronized void cancel() {
            // After a crash the state must stay exactly as the crash left it (for "during": the
            // temp file stays). Before the crash, cancel as Spark would.
            if (terminated) return;
            terminated = true;
            inner.cancel();
        }
    }
}
