//! `crashpoint report SCENARIO… --html OUT.html`: a picture of every run of the scenarios, one
//! self-contained HTML page.

use anyhow::Context;
use crashpoint_harness::html::{Page, picture, render_page};
use crashpoint_harness::scenario::{Injection, Scenario};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Scenario files, folders of them, or quoted globs.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Write the page here: one HTML file, CSS and script inline, nothing fetched.
    #[arg(long, value_name = "OUT.html")]
    html: PathBuf,
}

pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let files = super::paths::scenario_files(&args.paths, "scenarios")?;
    let mut pictures = Vec::with_capacity(files.len());
    for file in &files {
        let scenario = Scenario::load(file)?;
        pictures.push(picture(&scenario, &Injection::default(), &file.display().to_string()));
    }
    let failed = pictures.iter().filter(|p| !p.passed()).count();
    let intro = vec![format!(
        "{} scenario(s): {} pass, {failed} fail. Each runs as `crashpoint run` runs it, on the simulated disk.",
        pictures.len(),
        pictures.len() - failed
    )];
    let page = Page { title: "crashpoint report".into(), intro, pictures };
    write_page(&args.html, &page)?;
    println!("wrote {}: {} scenario(s), {failed} failing", args.html.display(), page.pictures.len());
    Ok(ExitCode::SUCCESS)
}

/// Writes `page` to `path`, creating its folder.
pub fn write_page(path: &Path, page: &Page) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create the folder", dir.display()))?;
    }
    std::fs::write(path, render_page(page)).with_context(|| format!("{}: cannot write the page", path.display()))
}
