//! How Qwen Code is driven for a recording: `qwen -p … --yolo` with OpenAI auth against the Chat
//! Completions mock, and its telemetry exporter pointed at the capture server.
//!
//! Qwen reads telemetry from `$HOME/.qwen/settings.json` (written here: auth `openai`, telemetry
//! `local`, `otlpEndpoint`, `otlpProtocol: "http"`, `logPrompts`). Its only OTLP/HTTP encoding is
//! JSON; protobuf needs gRPC, which the capture server does not speak. The content switch
//! `logPrompts` is also set through `QWEN_TELEMETRY_LOG_PROMPTS`, which Qwen ranks above the
//! settings file, so the manifest shows the value the run used.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::json;

use super::{CliInvocation, RunContext, VendorRecipe};
use crate::mock;
use crate::scenario::Scenario;

/// The dummy API key the CLI is given; the mock accepts anything.
pub const DUMMY_API_KEY: &str = "sk-dummy-codetel-recorder-qwen-000000000000";
/// The model the CLI asks for (a real Qwen model name; the mock answers any).
pub const MODEL: &str = "qwen3-coder-plus";
/// Qwen's content switch.
const LOG_PROMPTS: &str = "QWEN_TELEMETRY_LOG_PROMPTS";

/// The recipe for vendor id `qwen_code`.
pub const RECIPE: VendorRecipe = VendorRecipe {
    id: "qwen_code",
    content_flags: &[LOG_PROMPTS],
    invocation,
    mock_handler: mock::openai_chat::handler,
};

fn invocation(context: &RunContext, scenario: &Scenario) -> CliInvocation {
    // `--yolo`: without it, print mode leaves run_shell_command out of the tool list.
    let mut args = vec![
        "-p".to_string(),
        scenario.prompt.clone(),
        "--yolo".to_string(),
    ];
    args.extend(scenario.args.iter().cloned());
    let mut env: BTreeMap<String, String> = context.base_env();
    let mut set = |key: &str, value: &str| {
        env.insert(key.to_string(), value.to_string());
    };
    set("OPENAI_API_KEY", DUMMY_API_KEY);
    set("OPENAI_BASE_URL", &format!("{}/v1", context.model_base_url));
    set("OPENAI_MODEL", MODEL);
    // Content off unless the scenario says otherwise, and always explicit in the manifest.
    set(LOG_PROMPTS, "false");
    for (key, value) in &scenario.env {
        set(key, value);
    }
    let log_prompts = env
        .get(LOG_PROMPTS)
        .is_some_and(|value| value == "true" || value == "1");
    let settings = json!({
        "security": { "auth": { "selectedType": "openai" } },
        "model": { "name": MODEL },
        "telemetry": {
            "enabled": true,
            "target": "local",
            "otlpEndpoint": context.otlp_endpoint,
            "otlpProtocol": "http",
            "logPrompts": log_prompts,
        },
        "privacy": { "usageStatisticsEnabled": false },
        "general": { "disableAutoUpdate": true, "disableUpdateNag": true },
    });
    write_config(
        &context.home.join(".qwen/settings.json"),
        &serde_json::to_string_pretty(&settings).unwrap_or_default(),
    );
    CliInvocation { args, env, files: BTreeMap::new() }
}

/// Writes a config file the CLI reads. The recipe signature cannot fail, so a failure is
/// reported loudly; the run then lacks telemetry and the recorder fails it.
pub(super) fn write_config(path: &Path, text: &str) {
    let written = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(path, text));
    if let Err(err) = written {
        eprintln!("[record] could not write {}: {err}", path.display());
    }
}
