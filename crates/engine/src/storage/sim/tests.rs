//! The simulated disk's durability rules, each test named after its property.

use super::*;
use crate::storage::fault::IoErrno;

fn p(path: &str) -> &Path {
    Path::new(path)
}

/// A disk with `/d` made durable.
fn sim_with_dir() -> SimStorage {
    let sim = SimStorage::new(0);
    sim.create_dir_all(p("/d")).unwrap();
    sim.sync_dir(p("/")).unwrap();
    sim
}

/// Every distinct outcome of a power loss now, as (sorted files with contents) per state.
fn outcomes(sim: &SimStorage, model: DiskModel) -> BTreeSet<Vec<(PathBuf, Vec<u8>)>> {
    let space = sim.crash_space(model);
    (0..space.len())
        .map(|i| {
            let crashed = sim.fork();
            let kept = space.state_at(i);
            crashed.power_loss_keeping(&kept);
            crashed.all_files().into_iter().map(|f| (f.clone(), crashed.read(&f).unwrap())).collect()
        })
        .collect()
}

fn files(list: &[(&str, &[u8])]) -> Vec<(PathBuf, Vec<u8>)> {
    list.iter().map(|(f, d)| (PathBuf::from(f), d.to_vec())).collect()
}

#[test]
fn data_lost_without_sync() {
    let sim = sim_with_dir();
    sim.write(p("/d/a"), b"x").unwrap();
    sim.sync_dir(p("/d")).unwrap();
    sim.power_loss();
    assert_eq!(sim.read(p("/d/a")).unwrap(), b"");
}

#[test]
fn file_lost_without_dir_sync() {
    let sim = sim_with_dir();
    sim.write(p("/d/a"), b"x").unwrap();
    sim.sync_file(p("/d/a")).unwrap();
    sim.power_loss();
    assert!(!sim.exists(p("/d/a")));
}

#[test]
fn synced_rename_survives_power_loss() {
    let sim = sim_with_dir();
    sim.write(p("/d/.a.tmp"), b"x").unwrap();
    sim.sync_file(p("/d/.a.tmp")).unwrap();
    sim.rename_no_replace(p("/d/.a.tmp"), p("/d/a")).unwrap();
    sim.sync_dir(p("/d")).unwrap();
    sim.power_loss();
    assert_eq!(sim.read(p("/d/a")).unwrap(), b"x");
    assert!(!sim.exists(p("/d/.a.tmp")));
}

#[test]
fn directory_lost_without_parent_sync_takes_its_synced_entries_with_it() {
    // Goal: a directory's creation is an entry of its parent like any other. Method: make a
    // directory, sync a file and the directory itself, but not the parent; lose power.
    let sim = SimStorage::new(0);
    sim.create_dir_all(p("/d/sub")).unwrap();
    sim.write(p("/d/sub/a"), b"x").unwrap();
    sim.sync_file(p("/d/sub/a")).unwrap();
    sim.sync_dir(p("/d/sub")).unwrap();
    sim.sync_dir(p("/d")).unwrap();
    let kept = sim.fork();
    sim.power_loss();
    assert!(!sim.exists(p("/d")), "/d was never made durable in /");
    assert!(sim.all_files().is_empty());
    kept.sync_dir(p("/")).unwrap();
    kept.power_loss();
    assert_eq!(kept.read(p("/d/sub/a")).unwrap(), b"x");
}

#[test]
fn a_rename_without_dir_sync_may_or_may_not_persist_and_never_takes_unsynced_data_for_granted() {
    // Goal: the POSIX crash states of "write temp, rename" without any fsync: the zero-length
    // file after a rename is one of them. Method: enumerate every state and compare outcomes.
    let sim = sim_with_dir();
    sim.write(p("/d/.a.tmp"), b"x").unwrap();
    sim.rename_no_replace(p("/d/.a.tmp"), p("/d/a")).unwrap();
    let expected: BTreeSet<_> = [
        files(&[]),
        files(&[("/d/.a.tmp", b"")]),
        files(&[("/d/.a.tmp", b"x")]),
        files(&[("/d/a", b"")]),
        files(&[("/d/a", b"x")]),
    ]
    .into_iter()
    .collect();
    assert_eq!(outcomes(&sim, DiskModel::Posix), expected);
}

#[test]
fn ext4_ordered_keeps_directory_operations_in_order_and_a_renamed_files_data_with_its_rename() {
    // Goal: the stricter model has no zero-length file after a rename, and no rename without
    // the create before it. Method: the same operations as above under ext4-ordered.
    let sim = sim_with_dir();
    sim.write(p("/d/.a.tmp"), b"x").unwrap();
    sim.rename_no_replace(p("/d/.a.tmp"), p("/d/a")).unwrap();
    let expected: BTreeSet<_> =
        [files(&[]), files(&[("/d/.a.tmp", b"")]), files(&[("/d/.a.tmp", b"x")]), files(&[("/d/a", b"x")])]
            .into_iter()
            .collect();
    assert_eq!(outcomes(&sim, DiskModel::Ext4Ordered), expected);
}

#[test]
fn a_last_write_tears_at_block_boundaries_and_older_versions_may_persist() {
    // Goal: a file written twice without fsync may hold its durable contents, either version,
    // or the last one cut at a 4 KiB boundary. Method: a durable 1-byte file, then 2 writes.
    let sim = sim_with_dir();
    sim.write(p("/d/a"), b"0").unwrap();
    sim.sync_file(p("/d/a")).unwrap();
    sim.sync_dir(p("/d")).unwrap();
    let big = vec![7u8; TORN_BLOCK_BYTES + 10];
    sim.write(p("/d/a"), b"1").unwrap();
    sim.write(p("/d/a"), &big).unwrap();
    let expected: BTreeSet<_> = [
        files(&[("/d/a", b"0")]),
        files(&[("/d/a", b"1")]),
        files(&[("/d/a", &big)]),
        files(&[("/d/a", b"")]),
        files(&[("/d/a", &big[..TORN_BLOCK_BYTES])]),
    ]
    .into_iter()
    .collect();
    assert_eq!(outcomes(&sim, DiskModel::Posix), expected);
}

#[test]
fn the_states_that_keep_nothing_and_everything_are_the_power_loss_and_the_process_crash() {
    let sim = sim_with_dir();
    sim.write(p("/d/a"), b"x").unwrap();
    sim.remove_file(p("/d/a")).unwrap();
    sim.write(p("/d/b"), b"y").unwrap();
    let space = sim.crash_space(DiskModel::Posix);
    let everything = sim.fork();
    everything.power_loss_keeping(&space.everything());
    assert_eq!(everything.all_files(), sim.all_files());
    assert_eq!(everything.read(p("/d/b")).unwrap(), b"y");
    let nothing = sim.fork();
    nothing.power_loss_keeping(&[]);
    assert!(nothing.all_files().is_empty());
    assert_ne!(space.digest(&[]), space.digest(&space.everything()));
}

#[test]
fn operations_have_unique_readable_names_relative_to_a_root() {
    let sim = SimStorage::new(0);
    sim.create_dir_all(p("/r")).unwrap();
    sim.sync_dir(p("/")).unwrap();
    sim.create_dir_all(p("/r/d")).unwrap();
    sim.write(p("/r/d/a"), b"abc").unwrap();
    sim.remove_file(p("/r/d/a")).unwrap();
    sim.write(p("/r/d/a"), b"").unwrap();
    sim.rename_no_replace(p("/r/d/a"), p("/r/d/b")).unwrap();
    let names = crash::op_names(&sim.unsynced(), p("/r"));
    assert_eq!(
        names,
        [
            "mkdir d",
            "create d/a",
            "write d/a (3 bytes)",
            "write d/a torn to 0 of 3 bytes",
            "delete d/a",
            "create d/a #2",
            "write d/a (0 bytes)",
            "rename d/a -> d/b",
        ]
        .map(String::from)
    );
}

#[test]
fn user_hands_are_durable_at_once_and_leave_the_engines_unsynced_writes_alone() {
    let sim = sim_with_dir();
    sim.write(p("/d/engine"), b"e").unwrap();
    sim.write(p("/d/user"), b"u").unwrap();
    sim.make_durable(p("/d/user"));
    sim.power_loss();
    assert_eq!(sim.all_files(), [PathBuf::from("/d/user")]);
    assert_eq!(sim.read(p("/d/user")).unwrap(), b"u");
}

#[test]
fn a_failed_fsync_leaves_the_data_readable_but_a_later_fsync_does_not_make_it_durable() {
    // Goal: fsyncgate. After a failed fsync the page cache still shows the data, the next fsync
    // succeeds, and yet a power loss finds the old contents. Method: inject EIO at the first
    // fsync of the file; retry; lose power.
    let sim = sim_with_dir();
    let fault = IoFault { op: IoOp::Fsync, path: Some("/d/*".into()), hit: 1, errno: IoErrno::Eio };
    let process = sim.for_process(Some(fault), false);
    process.write(p("/d/a"), b"x").unwrap();
    let err = process.sync_file(p("/d/a")).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(5));
    assert_eq!(process.read(p("/d/a")).unwrap(), b"x", "reads still show the data");
    process.sync_file(p("/d/a")).unwrap();
    process.sync_dir(p("/d")).unwrap();
    let fired = process.fired().unwrap();
    assert_eq!(fired.path, PathBuf::from("/d/a"));
    let later =
        [(IoOp::Read, "/d/a"), (IoOp::Fsync, "/d/a"), (IoOp::Fsync, "/d")].map(|(op, p)| (op, PathBuf::from(p)));
    assert_eq!(fired.later, later, "what the process did after the failure");
    sim.power_loss();
    assert_eq!(sim.read(p("/d/a")).unwrap(), b"", "the data never reached the disk");
}

#[test]
fn the_kth_operation_of_a_kind_on_a_pattern_fails_and_only_it() {
    let sim = sim_with_dir();
    let fault = IoFault { op: IoOp::Write, path: Some("/d/*.json".into()), hit: 2, errno: IoErrno::Enospc };
    let process = sim.for_process(Some(fault), true);
    process.write(p("/d/a.txt"), b"1").unwrap();
    process.write(p("/d/a.json"), b"1").unwrap();
    let err = process.write(p("/d/b.json"), b"22").unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::StorageFull);
    assert_eq!(process.read(p("/d/b.json")).unwrap(), b"", "the open truncated, the write failed");
    process.write(p("/d/c.json"), b"3").unwrap();
    assert_eq!(process.io_log().len(), 5, "every operation is logged: {:?}", process.io_log());
    assert!(sim.io_log().is_empty() && sim.fired().is_none(), "the shared disk injects nothing");
}

#[test]
fn a_fork_is_independent_of_its_origin() {
    let sim = sim_with_dir();
    sim.write(p("/d/a"), b"1").unwrap();
    let fork = sim.fork();
    fork.write(p("/d/a"), b"2").unwrap();
    fork.power_loss();
    assert_eq!(sim.read(p("/d/a")).unwrap(), b"1");
    assert_eq!(sim.unsynced().len(), 3, "create, write, torn write");
    assert!(!fork.exists(p("/d/a")));
}

#[test]
fn list_and_sync_dir_see_only_direct_children() {
    let sim = SimStorage::new(0);
    for dir in ["/d/sub", "/d-x", "/d2", "/c"] {
        sim.create_dir_all(p(dir)).unwrap();
    }
    sim.sync_dir(p("/")).unwrap();
    for file in ["/d/a", "/d/sub/b", "/d-x/c", "/d2/e", "/c/f", "/d.txt"] {
        sim.write(p(file), b"x").unwrap();
    }
    let names: Vec<String> = sim.list(p("/d")).unwrap().into_iter().map(|e| e.name).collect();
    assert_eq!(names, ["a", "sub"]);
    sim.sync_dir(p("/d")).unwrap();
    sim.power_loss();
    assert_eq!(sim.all_files(), [PathBuf::from("/d/a")]);
}

#[test]
fn a_lock_has_one_holder_until_dropped() {
    let sim = sim_with_dir();
    let guard = sim.lock(p("/d/.lock")).unwrap();
    assert_eq!(sim.lock(p("/d/.lock")).unwrap_err().kind(), io::ErrorKind::WouldBlock);
    drop(guard);
    assert!(sim.lock(p("/d/.lock")).is_ok());
}

#[test]
fn an_injected_lock_error_is_the_file_systems_and_takes_no_lock() {
    // Goal: a lock can fail for a reason other than another holder, and then nobody holds it.
    // Method: the first lock of the path fails with ENOLCK; it is not WouldBlock, and the next
    // lock (the second hit, not aimed at) is taken.
    let sim = sim_with_dir();
    let fault = IoFault { op: IoOp::Lock, path: Some("/d/.lock".into()), hit: 1, errno: IoErrno::Enolck };
    let process = sim.for_process(Some(fault), true);
    let error = process.lock(p("/d/.lock")).unwrap_err();
    assert_eq!(error.raw_os_error(), IoErrno::Enolck.error().raw_os_error());
    assert_ne!(error.kind(), io::ErrorKind::WouldBlock);
    assert_eq!(process.fired().map(|f| f.op), Some(IoOp::Lock));
    assert!(process.lock(p("/d/.lock")).is_ok(), "the failed lock left the file locked");
}

#[test]
fn rename_never_replaces() {
    let sim = sim_with_dir();
    sim.write(p("/d/a"), b"1").unwrap();
    sim.write(p("/d/b"), b"2").unwrap();
    let err = sim.rename_no_replace(p("/d/b"), p("/d/a")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
}

#[test]
fn symlinks_fifos_and_sockets_are_listed_as_what_they_are_and_only_a_link_to_a_file_reads() {
    // Goal: the input as a hostile file system leaves it, as DiskStorage shows it (a symlink
    // followed, flagged; a FIFO never opened), kept through a power loss (the user's hands).
    let sim = sim_with_dir();
    sim.write(p("/d/t.json"), b"x").unwrap();
    sim.set_mtime(p("/d/t.json"), 7).unwrap();
    sim.create_dir_all(p("/d/sub")).unwrap();
    sim.sync_file(p("/d/t.json")).unwrap();
    sim.sync_dir(p("/d")).unwrap();
    sim.make_symlink(p("/d/t.json"), p("/d/link")).unwrap();
    sim.make_symlink(p("/d/sub"), p("/d/dirlink")).unwrap();
    sim.make_symlink(p("/d/none"), p("/d/dangling")).unwrap();
    sim.make_symlink(p("/d/loop"), p("/d/loop")).unwrap();
    sim.make_special(p("/d/pipe"), "a FIFO").unwrap();
    assert_eq!(sim.make_special(p("/d/pipe"), "a socket").unwrap_err().kind(), io::ErrorKind::AlreadyExists);
    sim.power_loss();
    let listed: Vec<(String, EntryKind, bool, i64)> =
        sim.list(p("/d")).unwrap().into_iter().map(|e| (e.name, e.kind, e.symlink, e.mtime_ms)).collect();
    let other = |what: &str| EntryKind::Other(what.into());
    assert_eq!(
        listed,
        [
            ("dangling".into(), other("a dangling symlink"), true, 0),
            ("dirlink".into(), EntryKind::Dir, true, 0),
            ("link".into(), EntryKind::File, true, 7),
            ("loop".into(), other("a symlink loop"), true, 0),
            ("pipe".into(), other("a FIFO"), false, 0),
            ("sub".into(), EntryKind::Dir, false, 0),
            ("t.json".into(), EntryKind::File, false, 7),
        ]
    );
    assert_eq!(sim.read(p("/d/link")).unwrap(), b"x");
    for path in ["/d/dirlink", "/d/loop", "/d/pipe"] {
        assert!(sim.read(p(path)).unwrap_err().to_string().starts_with("not a regular file but "), "{path}");
    }
    assert_eq!(sim.read(p("/d/dangling")).unwrap_err().kind(), io::ErrorKind::NotFound);
    assert!(sim.write(p("/d/pipe"), b"y").is_err(), "a FIFO is never written as a file");
    sim.remove_file(p("/d/pipe")).unwrap();
    assert!(sim.stat(p("/d/pipe")).is_err());
}
