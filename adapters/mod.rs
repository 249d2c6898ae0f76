//! The registry of vendor adapters. Adding a vendor = a folder `adapters/<vendor>/` and one
//! line in [`ALL`]. Each adapter lives in its own folder, mounted here with `mod`.

mod claude_code;
mod codex;
mod copilot_cli;
mod gemini_cli;
mod goose;
mod opencode;
mod qwen_code;

use crate::adapter::Adapter;

/// Every adapter, sorted by name. Detection breaks ties in this order.
pub static ALL: &[&'static dyn Adapter] = &[
    &claude_code::ClaudeCode,
    &codex::Codex,
    &copilot_cli::CopilotCli,
    &gemini_cli::GeminiCli,
    &goose::Goose,
    &opencode::Opencode,
    &qwen_code::QwenCode,
];

/// The adapter with this vendor id.
pub fn by_name(name: &str) -> Option<&'static dyn Adapter> {
    ALL.iter().copied().find(|it| it.name() == name)
}
