//! `cargo xtask tidy`: the repository's layout rules, also run by `cargo test` (the test at
//! the bottom), so a contributor learns them from a failing test with the fix in its message.
//!
//! - Every `adapters/<vendor>/` folder is mounted in `adapters/mod.rs` and registered in
//!   `ALL`, and every registered adapter has its folder and a `corpus/<vendor>/` folder.
//! - Every adapter's module doc has the `## What it maps` and `## Vendor quirks` sections.
//! - Every Rust file starts with a `//!` module doc.
//! - Every workspace member inherits the workspace lints.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;

/// Sections every adapter's module doc has.
pub const ADAPTER_DOC_SECTIONS: &[&str] = &["## What it maps", "## Vendor quirks"];

fn subfolders(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|it| it.path().is_dir())
        .map(|it| it.file_name().to_string_lossy().into_owned())
        .filter(|it| !it.starts_with('.'))
        .collect();
    names.sort();
    names
}

fn rust_files(dir: &Path, res: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, res);
        } else if path.extension().is_some_and(|it| it == "rs") {
            res.push(path);
        }
    }
}

/// Every problem found under `root`, one line each, naming the path and the fix.
pub fn problems(root: &Path) -> Vec<String> {
    let mut res = Vec::new();
    let registry = std::fs::read_to_string(root.join("adapters/mod.rs")).unwrap_or_default();
    let registered: Vec<&str> = codetel::adapters::ALL.iter().map(|it| it.name()).collect();
    for folder in subfolders(&root.join("adapters")) {
        if !registry.lines().any(|line| line.trim() == format!("mod {folder};")) {
            res.push(format!("adapters/{folder}/ is not mounted: add `mod {folder};` to adapters/mod.rs"));
        }
        if !registered.contains(&folder.as_str()) {
            res.push(format!(
                "adapters/{folder}/ is not registered: add its adapter to `ALL` in adapters/mod.rs (or run `cargo xtask new-adapter {folder}` for a fresh one)"
            ));
        }
    }
    for name in &registered {
        let module = root.join("adapters").join(name).join("mod.rs");
        match std::fs::read_to_string(&module) {
            Err(_) => res.push(format!("adapter `{name}` has no adapters/{name}/mod.rs")),
            Ok(text) => {
                for section in ADAPTER_DOC_SECTIONS {
                    if !text.lines().any(|line| line.trim_start_matches("//!").trim() == *section) {
                        res.push(format!("adapters/{name}/mod.rs: the module doc has no `{section}` section"));
                    }
                }
            }
        }
        if !root.join("corpus").join(name).is_dir() {
            res.push(format!(
                "adapter `{name}` has no corpus/{name}/ folder: record captures with `cargo xtask record {name} --all`"
            ));
        }
    }
    // A corpus folder may land before its adapter (recordings first); conformance reports its
    // unclaimed captures (CA-DET-001), where the expected-failures list can track them.
    let mut files = Vec::new();
    for dir in ["src", "adapters", "tests", "xtask/src"] {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        if !text.starts_with("//!") {
            let relative = file.strip_prefix(root).unwrap_or(&file);
            res.push(format!("{}:1: starts without a `//!` module doc saying what the file is for", relative.display()));
        }
    }
    for manifest in ["Cargo.toml", "xtask/Cargo.toml"] {
        let text = std::fs::read_to_string(root.join(manifest)).unwrap_or_default();
        let inherits = text.split("[lints]").nth(1).is_some_and(|rest| {
            rest.lines().take_while(|line| !line.trim_start().starts_with('[')).any(|line| line.replace(' ', "") == "workspace=true")
        });
        if !inherits {
            res.push(format!("{manifest}: add `[lints]` with `workspace = true`"));
        }
    }
    res
}

/// Runs the command: prints the problems, fails when there are any.
pub fn run(root: &Path) -> Result<ExitCode> {
    let problems = problems(root);
    for problem in &problems {
        eprintln!("{problem}");
    }
    if problems.is_empty() {
        eprintln!("tidy: ok");
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("tidy: {} problem(s)", problems.len());
        Ok(ExitCode::from(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repository_is_tidy() {
        let problems = problems(&crate::conformance::repo_root());
        assert!(problems.is_empty(), "cargo xtask tidy:\n{}", problems.join("\n"));
    }

    #[test]
    fn tidy_notices_an_unregistered_adapter_and_a_file_without_a_doc() {
        let root = std::env::temp_dir().join(format!("codetel-tidy-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("adapters/stray")).expect("temp dir");
        std::fs::create_dir_all(root.join("src")).expect("temp dir");
        std::fs::write(root.join("adapters/mod.rs"), "//! registry\n").expect("write");
        std::fs::write(root.join("adapters/stray/mod.rs"), "//! stray\n").expect("write");
        std::fs::write(root.join("src/lib.rs"), "pub fn f() {}\n").expect("write");
        let problems = problems(&root);
        let _ = std::fs::remove_dir_all(&root);
        let text = problems.join("\n");
        assert!(text.contains("adapters/stray/ is not mounted"), "{text}");
        assert!(text.contains("adapters/stray/ is not registered"), "{text}");
        assert!(text.contains("src/lib.rs:1: starts without a `//!`"), "{text}");
        assert!(text.contains("Cargo.toml: add `[lints]`"), "{text}");
        for name in codetel::adapters::ALL.iter().map(|it| it.name()) {
            assert!(text.contains(&format!("adapter `{name}` has no adapters/{name}/mod.rs")), "{text}");
        }
    }
}
