//! I/O errors as faults: the kinds of storage operation that can fail, the errors a disk gives
//! (EIO, ENOSPC), a fault "the k-th operation of a kind on a path pattern fails", and what a
//! user should do about an I/O error.
//!
//! The simulated disk injects these faults; the real disk produces the same errors on its own.
//! This module only names and matches; it must never decide what the engine does on an error.

use std::fmt;
use std::io;
use std::path::Path;
use std::str::FromStr;

/// A kind of storage operation that can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IoOp {
    /// Writing a file (creating or truncating it).
    Write,
    /// Fsync of a file or of a directory.
    Fsync,
    /// A rename; the path is the destination.
    Rename,
    /// Reading a file.
    Read,
    /// Listing a directory.
    List,
    /// Creating a directory (only when one is actually created).
    Mkdir,
    /// Removing a file or a directory tree.
    Remove,
    /// Taking a lock on a lock file (the checkpoint's, the output's): a file system may refuse
    /// it for a reason other than another holder (ENOLCK on an NFS mount without a lock
    /// service, EIO).
    Lock,
}

impl IoOp {
    /// Every kind, in a fixed order.
    pub const ALL: [IoOp; 8] =
        [IoOp::Write, IoOp::Fsync, IoOp::Rename, IoOp::Read, IoOp::List, IoOp::Mkdir, IoOp::Remove, IoOp::Lock];

    /// The stable name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            IoOp::Write => "write",
            IoOp::Fsync => "fsync",
            IoOp::Rename => "rename",
            IoOp::Read => "read",
            IoOp::List => "list",
            IoOp::Mkdir => "mkdir",
            IoOp::Remove => "remove",
            IoOp::Lock => "lock",
        }
    }

    /// The error a real disk most plausibly gives for this operation: ENOSPC where space is
    /// allocated (a write, a new directory), ENOLCK for a lock, EIO elsewhere.
    pub fn typical_errno(self) -> IoErrno {
        match self {
            IoOp::Write | IoOp::Mkdir => IoErrno::Enospc,
            IoOp::Lock => IoErrno::Enolck,
            _ => IoErrno::Eio,
        }
    }
}

impl fmt::Display for IoOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IoOp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        IoOp::ALL.into_iter().find(|op| op.name() == s).ok_or_else(|| {
            let names: Vec<&str> = IoOp::ALL.iter().map(|op| op.name()).collect();
            format!("unknown operation '{s}'; known: {}", names.join(", "))
        })
    }
}

/// An error a disk gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IoErrno {
    /// EIO: the device failed the operation.
    Eio,
    /// ENOSPC: no space left on the device.
    Enospc,
    /// ENOLCK: the file system has no lock to give (an NFS mount without a lock service).
    Enolck,
}

impl IoErrno {
    /// The stable name used in scenario files.
    pub fn name(self) -> &'static str {
        match self {
            IoErrno::Eio => "eio",
            IoErrno::Enospc => "enospc",
            IoErrno::Enolck => "enolck",
        }
    }

    /// The error, as the operating system reports it.
    pub fn error(self) -> io::Error {
        match self {
            IoErrno::Eio => os_error(5, io::ErrorKind::Other, "Input/output error"),
            IoErrno::Enospc => os_error(28, io::ErrorKind::StorageFull, "No space left on device"),
            IoErrno::Enolck => os_error(ENOLCK, io::ErrorKind::Other, "No locks available"),
        }
    }
}

/// ENOLCK's number differs between Unixes (37 on Linux, 77 on the BSDs and macOS).
#[cfg(unix)]
const ENOLCK: i32 = libc::ENOLCK;
#[cfg(not(unix))]
const ENOLCK: i32 = 0;

#[cfg(unix)]
fn os_error(code: i32, _kind: io::ErrorKind, _text: &str) -> io::Error {
    // EIO is 5 and ENOSPC is 28 on every Unix that Rust supports.
    io::Error::from_raw_os_error(code)
}

#[cfg(not(unix))]
fn os_error(_code: i32, kind: io::ErrorKind, text: &str) -> io::Error {
    io::Error::new(kind, text.to_string())
}

impl fmt::Display for IoErrno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for IoErrno {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "eio" => Ok(IoErrno::Eio),
            "enospc" => Ok(IoErrno::Enospc),
            "enolck" => Ok(IoErrno::Enolck),
            _ => Err(format!("unknown error '{s}'; known: eio, enospc, enolck")),
        }
    }
}

/// "The `hit`-th operation of kind `op` on a path matching `path` fails with `errno`."
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IoFault {
    /// The kind of operation.
    pub op: IoOp,
    /// A path pattern (`*` matches any run of characters within one path component); `None`
    /// counts every path.
    pub path: Option<String>,
    /// Which matching operation fails, from 1.
    pub hit: u32,
    /// The error.
    pub errno: IoErrno,
}

impl IoFault {
    /// True if an operation of kind `op` on `path` is one this fault counts.
    pub fn counts(&self, op: IoOp, path: &Path) -> bool {
        op == self.op && self.path.as_ref().is_none_or(|p| glob_matches(p, &path.to_string_lossy()))
    }
}

impl fmt::Display for IoFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.as_deref().unwrap_or("any path");
        write!(f, "{} of {path} fails with {} (hit {})", self.op, self.errno.name().to_uppercase(), self.hit)
    }
}

/// Matches `text` against `pattern`, where `*` stands for any run of characters but `/`.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    // Iterative wildcard matching with one backtrack point, bounded by |p| * |t|.
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some(s) = star.filter(|_| t[mark] != b'/') {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == b'*')
}

/// What a user should do about an I/O error, in words, for the end of an error message.
pub fn what_to_do(error: &io::Error) -> &'static str {
    match error.kind() {
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => {
            "the disk is full: free space, then run the query again; it resumes from what the checkpoint \
             holds, and nothing is lost"
        }
        io::ErrorKind::NotFound => "check that the path exists and that nothing else deletes files under it",
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            "check the permissions and the mount of the directory, then run the query again"
        }
        _ if error.raw_os_error().is_some() && error.raw_os_error() == IoErrno::Enolck.error().raw_os_error() => {
            "the file system refused the lock for a reason of its own (an NFS mount without a lock service \
             gives this): mount the directory with locking, or use a local disk, then run the query again"
        }
        _ if error.raw_os_error() == Some(5) => {
            "the disk failed the operation: check the device (e.g. dmesg), then run the query again; it \
             resumes from what is durable and trusts nothing the failed operation may have left"
        }
        _ => "fix the cause, then run the query again; it resumes from the checkpoint",
    }
}

/// True if `error` is one the disk made at run time (a failed device, a full disk), rather than
/// a path the user gave that does not exist or may not be used.
pub fn is_runtime_io_error(error: &io::Error) -> bool {
    !matches!(
        error.kind(),
        io::ErrorKind::NotFound
            | io::ErrorKind::PermissionDenied
            | io::ErrorKind::AlreadyExists
            | io::ErrorKind::InvalidInput
            | io::ErrorKind::InvalidData
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::IsADirectory
            | io::ErrorKind::WouldBlock
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_cases() {
        let cases = [
            ("/a/b", "/a/b", true),
            ("/a/*", "/a/b", true),
            ("/a/*", "/a/b/c", false),
            ("/a/*/c", "/a/b/c", true),
            ("/a/.*.tmp", "/a/.0.1234.tmp", true),
            ("/a/.*.tmp", "/a/0", false),
            ("*", "", true),
            ("/a/b", "/a/bc", false),
            ("/a/b*", "/a/bc", true),
            ("", "x", false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(glob_matches(pattern, text), expected, "{pattern} ~ {text}");
        }
    }

    #[test]
    fn names_round_trip_and_errors_read_like_the_os() {
        for op in IoOp::ALL {
            assert_eq!(op.name().parse::<IoOp>(), Ok(op));
        }
        assert!("fsck".parse::<IoOp>().unwrap_err().contains("fsync"));
        for errno in [IoErrno::Eio, IoErrno::Enospc, IoErrno::Enolck] {
            assert_eq!(errno.name().parse::<IoErrno>(), Ok(errno));
        }
        assert_eq!(IoErrno::Enospc.error().kind(), io::ErrorKind::StorageFull);
        assert!(what_to_do(&IoErrno::Enospc.error()).starts_with("the disk is full"));
        assert!(what_to_do(&IoErrno::Eio.error()).contains("failed the operation"));
        assert!(what_to_do(&IoErrno::Enolck.error()).contains("a reason of its own"));
        assert_eq!(IoOp::Lock.typical_errno(), IoErrno::Enolck);
        assert_ne!(IoErrno::Enolck.error().kind(), io::ErrorKind::WouldBlock, "a lock error is not a held lock");
        assert!(is_runtime_io_error(&IoErrno::Eio.error()));
        assert!(!is_runtime_io_error(&io::Error::from(io::ErrorKind::NotFound)));
    }
}
