//! `xtask/cli-versions.toml`: the pinned version of every vendor CLI the recorder drives.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde::Deserialize;

/// The file name, inside the xtask folder.
pub const FILE: &str = "cli-versions.toml";

/// One vendor's pinned CLI.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinnedCli {
    /// npm package name.
    pub package: String,
    /// Exact version.
    pub version: String,
    /// Executable name under `node_modules/.bin`.
    pub bin: String,
}

/// Reads the pins, keyed by vendor id.
pub fn load(xtask_dir: &Path) -> Result<BTreeMap<String, PinnedCli>> {
    let path = xtask_dir.join(FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_repo_pins_claude_code() {
        let pins = load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("parses");
        let claude = &pins["claude_code"];
        assert_eq!(claude.package, "@anthropic-ai/claude-code");
        assert!(!claude.version.is_empty());
    }
}
