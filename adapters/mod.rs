//! The registry of vendor adapters. Adding a vendor = a folder `adapters/<vendor>/` and one
//! line in [`ALL`]. Each adapter lives in its own folder, mounted here with `mod`.

mod claude_code;
mod codex;
mod gemini_cli;

use crate::adapter::Adapter;

/// Every adapter, sorted by name. Detection breaks ties in this order.
pub static ALL: &[&'static dyn Adapter] = &[&claude_code::ClaudeCode, &codex::Codex, &gemini_cli::GeminiCli];

/// The adapter with this vendor id.
pub fn by_name(name: &str) -> Option<&'static dyn Adapter> {
    ALL.iter().copied().find(|it| it.name() == name)
}
