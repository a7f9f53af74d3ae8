//! The driver script and the crash-injecting Java sources, compiled into the binary from the
//! repository's `spark/` folder (their single source), so that an installed `crashpoint` needs
//! no checkout. They are written into the Spark home under a directory named by their content
//! hash, so binaries of different versions never overwrite each other's driver.

/// One embedded file: its path relative to the driver directory, and its text.
pub struct EmbeddedFile {
    /// Relative path, e.g. `java/crashpoint/spark/CrashingCheckpointFileManager.java`.
    pub path: &'static str,
    /// The file's text.
    pub text: &'static str,
}

/// The driver script's path inside the driver directory.
pub const DRIVER_PY: &str = "driver.py";
/// The Java sources' root inside the driver directory.
pub const JAVA_SRC: &str = "java";

/// Every file the driver needs.
pub const FILES: &[EmbeddedFile] = &[
    EmbeddedFile { path: DRIVER_PY, text: include_str!("../../../../spark/driver.py") },
    EmbeddedFile {
        path: "java/crashpoint/spark/CrashingCheckpointFileManager.java",
        text: include_str!("../../../../spark/java/crashpoint/spark/CrashingCheckpointFileManager.java"),
    },
    EmbeddedFile {
        path: "java/crashpoint/spark/CrashingFileContextCheckpointFileManager.java",
        text: include_str!("../../../../spark/java/crashpoint/spark/CrashingFileContextCheckpointFileManager.java"),
    },
];

/// A short, stable hash of every embedded file's path and text (FNV-1a, 64 bits, in hex).
pub fn content_hash() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for file in FILES {
        for byte in file.path.bytes().chain([0]).chain(file.text.bytes()).chain([0]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_are_the_repository_s_spark_folder() {
        // Goal: spark/ stays the single source. Method: compare each embedded text with the file.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spark");
        for file in FILES {
            let on_disk = std::fs::read_to_string(root.join(file.path)).unwrap();
            assert_eq!(on_disk, file.text, "{}", file.path);
        }
        let java = std::fs::read_dir(root.join("java/crashpoint/spark")).unwrap().count();
        assert_eq!(FILES.iter().filter(|f| f.path.ends_with(".java")).count(), java, "every Java source is embedded");
        assert_eq!(content_hash().len(), 16);
    }
}
