//! Finding or installing a pinned vendor CLI in the shared CLI cache.
//!
//! Layout: `${CODETEL_CLI_CACHE:-$HOME/.cache/codetel/cli}/<vendor>/<version>/`, an npm project
//! folder whose `node_modules/.bin/<bin>` is the CLI. Installing is a plain `npm install` of the
//! exact version into that folder, so the registry is only asked when the cache misses.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::cli_versions::PinnedCli;

/// The cache root.
pub fn cache_root() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("CODETEL_CLI_CACHE").filter(|dir| !dir.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    let home = std::env::var_os("HOME").context("neither CODETEL_CLI_CACHE nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cache/codetel/cli"))
}

/// The CLI executable for `vendor` at `version`, installed first when missing.
pub fn ensure_installed(vendor: &str, cli: &PinnedCli, version: &str) -> Result<PathBuf> {
    let folder = cache_root()?.join(vendor).join(version);
    let bin = folder.join("node_modules/.bin").join(&cli.bin);
    if !bin.exists() {
        install(&folder, &cli.package, version)?;
    }
    if !bin.exists() {
        bail!(
            "{} is still missing after installing {}@{version}",
            bin.display(),
            cli.package
        );
    }
    let installed = installed_version(&folder, &cli.package)?;
    if installed != version {
        bail!(
            "{} holds {}@{installed}, not {version}; remove the folder to reinstall",
            folder.display(),
            cli.package
        );
    }
    Ok(bin)
}

fn install(folder: &Path, package: &str, version: &str) -> Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("creating the CLI cache folder {}", folder.display()))?;
    eprintln!("installing {package}@{version} into {}", folder.display());
    let spec = format!("{package}@{version}");
    let output = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", &spec])
        .current_dir(folder)
        .output()
        .with_context(|| format!("running npm install {spec}"))?;
    let mut log = output.stdout.clone();
    log.extend_from_slice(&output.stderr);
    log.extend_from_slice(format!("rc={}\n", output.status.code().unwrap_or(-1)).as_bytes());
    let log_path = folder.join("install.log");
    std::fs::write(&log_path, &log).with_context(|| format!("writing {}", log_path.display()))?;
    if !output.status.success() {
        bail!("npm install {spec} failed; see {}", log_path.display());
    }
    Ok(())
}

fn installed_version(folder: &Path, package: &str) -> Result<String> {
    let manifest = folder
        .join("node_modules")
        .join(package)
        .join("package.json");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", manifest.display()))?;
    json.get("version")
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
        .with_context(|| format!("{} has no version", manifest.display()))
}
