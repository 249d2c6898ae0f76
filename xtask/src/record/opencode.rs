//! How opencode is driven for a recording: `opencode run "<prompt>"` with a custom
//! `@ai-sdk/openai-compatible` provider pointing at the Chat Completions mock, and its native
//! OpenTelemetry (Effect OTLP logger and OTel-JS span exporter) pointed at the capture server.
//!
//! The config lives in `$XDG_CONFIG_HOME/opencode/opencode.json` (written here: the mock
//! provider and model, bash/edit allowed, no autoupdate or sharing), with every XDG folder inside
//! the run's HOME. The content switch `experimental.openTelemetry` (it adds the AI-SDK `ai.*`
//! spans, which carry prompts, answers and tool arguments) is given through
//! `OPENCODE_CONFIG_CONTENT`, which opencode merges over the file, so the manifest shows it.
//!
//! Two settings keep the run honest: `OTEL_BSP_SCHEDULE_DELAY=100`, else `opencode run` exits
//! before its last span batch is flushed; and `npm_config_registry` on a dead loopback port,
//! else a fresh HOME makes opencode ask the public npm registry once.

use std::collections::BTreeMap;
use std::net::TcpListener;

use serde_json::json;

use super::qwen_code::write_config;
use super::{CliInvocation, RunContext, VendorRecipe};
use crate::mock;
use crate::scenario::Scenario;

/// The dummy API key the provider is given; the mock accepts anything.
pub const DUMMY_API_KEY: &str = "sk-dummy-codetel-recorder-opencode-000000000";
/// Provider and model ids in the opencode config.
const PROVIDER: &str = "mock";
const MODEL: &str = "mock-model";
/// opencode's content switch, carried as inline config.
const CONFIG_CONTENT: &str = "OPENCODE_CONFIG_CONTENT";

/// The recipe for vendor id `opencode`.
pub const RECIPE: VendorRecipe = VendorRecipe {
    id: "opencode",
    content_flags: &[CONFIG_CONTENT],
    invocation,
    mock_handler: mock::openai_chat::handler,
};

fn invocation(context: &RunContext, scenario: &Scenario) -> CliInvocation {
    let mut args = vec!["run".to_string(), scenario.prompt.clone()];
    args.extend(scenario.args.iter().cloned());
    let config_home = context.home.join(".config");
    let mut env: BTreeMap<String, String> = context.base_env();
    let mut set = |key: &str, value: &str| {
        env.insert(key.to_string(), value.to_string());
    };
    for (key, folder) in [
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ] {
        set(key, &context.home.join(folder).display().to_string());
    }
    set("OPENCODE_DISABLE_MODELS_FETCH", "1");
    set("OPENCODE_DISABLE_AUTOUPDATE", "1");
    set("OPENCODE_DISABLE_DEFAULT_PLUGINS", "1");
    set("OPENCODE_DISABLE_LSP_DOWNLOAD", "1");
    set(
        "npm_config_registry",
        &format!("http://127.0.0.1:{}/", dead_loopback_port()),
    );
    set("OTEL_EXPORTER_OTLP_ENDPOINT", &context.otlp_endpoint);
    set("OTEL_BSP_SCHEDULE_DELAY", "100");
    // Content off unless the scenario says otherwise, and always explicit in the manifest.
    set(
        CONFIG_CONTENT,
        &json!({ "experimental": { "openTelemetry": false } }).to_string(),
    );
    for (key, value) in &scenario.env {
        set(key, value);
    }
    let config = json!({
        "$schema": "https://opencode.ai/config.json",
        "model": format!("{PROVIDER}/{MODEL}"),
        "small_model": format!("{PROVIDER}/{MODEL}"),
        "autoupdate": false,
        "share": "disabled",
        "permission": { "bash": "allow", "edit": "allow" },
        "provider": {
            PROVIDER: {
                "npm": "@ai-sdk/openai-compatible",
                "name": "Mock",
                "options": {
                    "baseURL": format!("{}/v1", context.model_base_url),
                    "apiKey": DUMMY_API_KEY,
                },
                "models": {
                    MODEL: {
                        "name": "Mock Model",
                        "tool_call": true,
                        "limit": { "context": 128_000, "output": 8192 },
                    },
                },
            },
        },
    });
    write_config(
        &config_home.join("opencode/opencode.json"),
        &serde_json::to_string_pretty(&config).unwrap_or_default(),
    );
    CliInvocation { args, env, files: BTreeMap::new() }
}

/// A loopback port nobody listens on: bound, read and released, so a connect is refused at once.
fn dead_loopback_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        // Port 9 (discard) is practically never served on a workstation's loopback.
        .unwrap_or(9)
}
