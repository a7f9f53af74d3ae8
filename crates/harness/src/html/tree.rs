//! The disk after a frame as nested, expandable lists (`<details>`): one per top folder (the
//! checkpoint, the output, the input), folders inside, and each file with its text. Files new or
//! changed since the frame before are marked, and files gone are listed.

use super::page::escape;
use crate::report::Shown;
use std::collections::BTreeMap;
use std::fmt::Write;

/// How a file differs from the frame before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Same,
    New,
    Changed,
}

/// A folder: its files in listing order, and its sub-folders.
#[derive(Default)]
struct Folder<'a> {
    files: Vec<(&'a str, &'a Shown, Change)>,
    folders: BTreeMap<&'a str, Folder<'a>>,
}

/// The files of a frame, against those of the frame before: the summary line and the tree.
pub(super) fn render(files: &[(String, Shown)], before: &[(String, Shown)], open: bool) -> String {
    let old: BTreeMap<&str, &Shown> = before.iter().map(|(p, s)| (p.as_str(), s)).collect();
    let now: BTreeMap<&str, &Shown> = files.iter().map(|(p, s)| (p.as_str(), s)).collect();
    let mut root = Folder::default();
    let mut changed = Vec::new();
    for (path, shown) in files {
        let change = match old.get(path.as_str()) {
            None => Change::New,
            Some(was) if *was != shown => Change::Changed,
            Some(_) => Change::Same,
        };
        if change != Change::Same {
            changed.push(path.as_str());
        }
        let mut parts: Vec<&str> = path.split('/').collect();
        let name = parts.pop().unwrap_or(path);
        let folder = parts.into_iter().fold(&mut root, |f, part| f.folders.entry(part).or_default());
        folder.files.push((name, shown, change));
    }
    let gone: Vec<&str> = old.keys().filter(|p| !now.contains_key(*p)).copied().collect();
    let mut summary = format!("the disk after this step: {} file(s)", files.len());
    if !changed.is_empty() {
        let _ = write!(summary, "; <span class=\"new\">new or changed:</span> {}", escape(&changed.join(", ")));
    }
    if !gone.is_empty() {
        let _ = write!(summary, "; <span class=\"gone\">gone: {}</span>", escape(&gone.join(", ")));
    }
    let mut out =
        format!("<details class=\"tree\"{}><summary>{}</summary>\n", if open { " open" } else { "" }, summary);
    out += &render_folder(&root, 0);
    out.push_str("</details>\n");
    out
}

fn render_folder(folder: &Folder, depth: usize) -> String {
    let mut out = String::from("<ul>\n");
    for (name, sub) in &folder.folders {
        // The checkpoint is what a reader comes for: open; input and output start closed.
        let open = depth > 0 || *name == "checkpoint";
        let _ = writeln!(
            out,
            "<li class=\"dir\"><details{}><summary>{}/</summary>\n{}</details></li>",
            if open { " open" } else { "" },
            escape(name),
            render_folder(sub, depth + 1)
        );
    }
    for (name, shown, change) in &folder.files {
        let (class, tag) = match change {
            Change::Same => ("file", ""),
            Change::New => ("file new", " <span class=\"tag\">new</span>"),
            Change::Changed => ("file changed", " <span class=\"tag\">changed</span>"),
        };
        let body = match shown {
            Shown::Text(text) => format!("<pre>{}</pre>", escape(text)),
            Shown::Bytes(n) => format!("<pre>({n} bytes)</pre>"),
        };
        let _ = writeln!(
            out,
            "<li class=\"{class}\"><details><summary>{}{tag}</summary>{body}</details></li>",
            escape(name)
        );
    }
    out.push_str("</ul>\n");
    out
}
