//! Stray files a user or an editor leaves in the checkpoint's logs, which `fuzz` draws: names a
//! run never lists as a batch (`offsets/notes.txt`, `commits/3.json`, `offsets/3~`, a directory
//! `offsets/x/`), names that read as the id of a batch that is there (`offsets/03`,
//! `commits/+3`: ignored, its own file is read), and one that reads as a batch above the newest
//! (`offsets/01000`: the run refuses, naming it), as Spark 4.3 treats each (FINDINGS Q26d2).
//! Paths name batches by the latest commit (`latest`), resolved when the step runs.
//!
//! It only states the draws; it must never predict what a run does (the model does).

/// A stray file: its path in the checkpoint and its bytes.
pub(super) type Stray = (&'static str, &'static str);

/// Strays a run goes on past, exactly once: each bytes no log holds, so that a run that read
/// one would fail.
const GONE_PAST: [Stray; 6] = [
    ("offsets/notes.txt", "batch 3 looked odd\n"),
    ("commits/latest.json", "v1\n{\"nextBatchWatermarkMs\":0}\n"),
    ("offsets/latest~", "v1\n{\"batchWatermarkMs\":0,\"batchTimesta\n"),
    ("offsets/x/inside", "x\n"),
    ("offsets/0latest", "garbage\n"),
    ("commits/+latest", "garbage\n"),
];

/// Strays above every batch of their log, which the next run must refuse.
const ABOVE_THE_NEWEST: [Stray; 3] =
    [("offsets/01000", "v1\n"), ("commits/+1000", "v1\n"), ("sources/0/01000", "v1\n")];

/// What a case draws, from its hash mixed with the strays' own salt (`z`): about one case in
/// 30 each, a stray gone past (`Ok`) or one above the newest batch (`Err`), the kind by other
/// bits.
pub(super) fn draw(z: u64) -> Option<Result<Stray, Stray>> {
    let pick = |n: usize| ((z >> 16) % n as u64) as usize;
    match z % 30 {
        0 => Some(Ok(GONE_PAST[pick(GONE_PAST.len())])),
        1 => Some(Err(ABOVE_THE_NEWEST[pick(ABOVE_THE_NEWEST.len())])),
        _ => None,
    }
}
