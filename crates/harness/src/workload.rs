//! A deterministic workload generator for throughput benchmarks: JSON Lines files in the
//! tutorial's shape (`{"eventId":"e1","data":{"devices":[{"deviceId":"d7","temperature":21.5}]}}`).
//!
//! All randomness comes from [`crashpoint_engine::rng::Rng`] seeded by the caller, and every file's
//! modification time is set explicitly, so the same arguments always give the same bytes and
//! the same arrival order. Nothing here reads a clock.

use crashpoint_engine::rng::Rng;
use crashpoint_engine::storage::Storage;
use std::io;
use std::path::Path;

/// The benchmark's default number of files.
pub const DEFAULT_FILES: usize = 200;
/// The benchmark's default number of events a file.
pub const DEFAULT_EVENTS_PER_FILE: usize = 5_000;
/// The benchmark's default seed.
pub const DEFAULT_SEED: u64 = 42;
/// The most devices one event carries (the fewest is 0).
pub const MAX_DEVICES_PER_EVENT: u64 = 5;

/// What [`generate_devices`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WorkloadStats {
    /// Files written.
    pub files: usize,
    /// Events (input lines) written.
    pub events: u64,
    /// Devices written in all events: the rows the tutorial plan must produce.
    pub devices: u64,
    /// Bytes written in all files.
    pub bytes: u64,
}

/// The name of the `index`th file: `device_00000.json`, `device_00001.json`, ...
pub fn file_name(index: usize) -> String {
    format!("device_{index:05}.json")
}

/// Appends one event line (with its newline) to `out`; returns how many devices it has.
fn write_event(rng: &mut Rng, event_id: u64, out: &mut Vec<u8>) -> u64 {
    use std::io::Write as _;
    let devices = rng.below(MAX_DEVICES_PER_EVENT + 1);
    write!(out, "{{\"eventId\":\"e{event_id}\",\"data\":{{\"devices\":[").expect("writing to a Vec cannot fail");
    for i in 0..devices {
        if i > 0 {
            out.push(b',');
        }
        let device = rng.below(1_000);
        // Tenths of a degree, 10.0 to 39.9, always printed with one decimal.
        let tenths = 100 + rng.below(300);
        write!(out, "{{\"deviceId\":\"d{device}\",\"temperature\":{}.{}}}", tenths / 10, tenths % 10)
            .expect("writing to a Vec cannot fail");
    }
    out.extend_from_slice(b"]}}\n");
    devices
}

/// Writes `files` JSON Lines files of `events_per_file` events each into `dir` (created if
/// missing). Event ids run from `e1` across all files; file `i` gets the modification time
/// `start_mtime_ms + i * 1000`. The same `seed` always gives the same bytes.
pub fn generate_devices(
    storage: &dyn Storage,
    dir: &Path,
    files: usize,
    events_per_file: usize,
    seed: u64,
    start_mtime_ms: i64,
) -> io::Result<WorkloadStats> {
    storage.create_dir_all(dir)?;
    let mut rng = Rng::new(seed);
    let mut stats = WorkloadStats { files, ..WorkloadStats::default() };
    let mut bytes = Vec::new();
    for index in 0..files {
        bytes.clear();
        for _ in 0..events_per_file {
            stats.events += 1;
            stats.devices += write_event(&mut rng, stats.events, &mut bytes);
        }
        let path = dir.join(file_name(index));
        storage.write(&path, &bytes)?;
        storage.set_mtime(&path, start_mtime_ms + index as i64 * 1_000)?;
        stats.bytes += bytes.len() as u64;
    }
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crashpoint_engine::storage::SimStorage;
    use serde_json::Value;

    fn generate(seed: u64) -> (SimStorage, WorkloadStats) {
        let storage = SimStorage::default();
        let stats = generate_devices(&storage, Path::new("/in"), 3, 200, seed, 1_000).unwrap();
        (storage, stats)
    }

    #[test]
    fn the_same_seed_gives_the_same_bytes() {
        let ((a, stats_a), (b, stats_b)) = (generate(7), generate(7));
        assert_eq!(stats_a, stats_b);
        for i in 0..3 {
            let path = Path::new("/in").join(file_name(i));
            assert_eq!(a.read(&path).unwrap(), b.read(&path).unwrap());
            assert_eq!(a.stat(&path).unwrap().mtime_ms, 1_000 + i as i64 * 1_000);
        }
        let (c, _) = generate(8);
        let first = Path::new("/in/device_00000.json");
        assert_ne!(a.read(first).unwrap(), c.read(first).unwrap());
    }

    #[test]
    fn events_have_the_tutorial_shape_and_0_to_5_devices() {
        let (storage, stats) = generate(42);
        let (mut events, mut devices, mut bytes) = (0, 0, 0);
        let mut counts = [0u32; 6];
        for i in 0..3 {
            let data = storage.read(&Path::new("/in").join(file_name(i))).unwrap();
            bytes += data.len() as u64;
            for line in data.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                let event: Value = serde_json::from_slice(line).unwrap();
                events += 1;
                assert_eq!(event["eventId"], format!("e{events}"));
                let list = event["data"]["devices"].as_array().unwrap();
                assert!(list.len() <= 5, "{}", list.len());
                counts[list.len()] += 1;
                for device in list {
                    assert!(device["deviceId"].as_str().unwrap().starts_with('d'));
                    assert!(device["temperature"].is_f64());
                }
                devices += list.len() as u64;
            }
        }
        assert!(counts.iter().all(|&n| n > 0), "every count from 0 to 5 occurs: {counts:?}");
        assert_eq!(stats, WorkloadStats { files: 3, events, devices, bytes });
    }
}
