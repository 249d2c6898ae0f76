//! Shared helpers: where the corpus is, and how to load every capture in it.

use std::path::{Path, PathBuf};

use codetel::capture::{self, Capture, Input};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every capture folder under `corpus/`, sorted.
pub fn corpus_dirs() -> Vec<PathBuf> {
    let corpus = root().join("corpus");
    if !corpus.is_dir() {
        return Vec::new();
    }
    match capture::discover(&corpus) {
        Ok(inputs) => inputs
            .into_iter()
            .filter_map(|it| match it {
                Input::Dir(dir) => Some(dir),
                Input::File(_) => None,
            })
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Loads a capture folder, failing the test with the loader's message.
pub fn load(dir: &Path) -> Capture {
    match Capture::load_dir(dir) {
        Ok(it) => it,
        Err(error) => panic!("cannot load {}: {error}", dir.display()),
    }
}

/// `corpus/<vendor>/<version>/<scenario>` → (vendor, version, scenario).
pub fn capture_id(dir: &Path) -> (String, String, String) {
    let relative = dir.strip_prefix(root().join("corpus")).unwrap_or(dir);
    let parts: Vec<String> = relative.iter().map(|it| it.to_string_lossy().into_owned()).collect();
    match parts.as_slice() {
        [vendor, version, scenario] => (vendor.clone(), version.clone(), scenario.clone()),
        _ => panic!("capture folder {} is not corpus/<vendor>/<version>/<scenario>", dir.display()),
    }
}
