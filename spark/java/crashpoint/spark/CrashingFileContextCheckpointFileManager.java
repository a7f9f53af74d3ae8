package crashpoint.spark;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.execution.streaming.checkpointing.CheckpointFileManager;
import org.apache.spark.sql.execution.streaming.checkpointing.FileContextBasedCheckpointFileManager;

/**
 * Spark's default checkpoint file manager ({@code FileContextBasedCheckpointFileManager}, which Spark
 * uses when {@code spark.sql.streaming.checkpointFileManagerClass} is not set) with the crash
 * injection of {@link CrashingCheckpointFileManager}: the same counters, the same arming, the same
 * positions. Arm and read it through {@link CrashingCheckpointFileManager}'s static methods.
 */
public class CrashingFileContextCheckpointFileManager extends FileContextBasedCheckpointFileManager {

    public CrashingFileContextCheckpointFileManager(Path path, Configuration hadoopConf) {
        super(path, hadoopConf);
    }

    @Override
    public CheckpointFileManager.CancellableFSDataOutputStream createAtomic(Path path, boolean overwriteIfPossible) {
        return CrashingCheckpointFileManager.intercept(path, () -> super.createAtomic(path, overwriteIfPossible));
    }
}
