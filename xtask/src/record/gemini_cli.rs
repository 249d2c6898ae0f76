//! How Gemini CLI is driven for a recording: `gemini -p` with a dummy API key, the Gemini API
//! mock as its base URL, and telemetry (logs, metrics and traces) exported as OTLP/HTTP JSON to
//! the capture server.
//!
//! Gemini CLI takes most telemetry and auth settings from `$HOME/.gemini/settings.json`, so the
//! recipe writes one into the run's fresh HOME:
//! - `security.auth.selectedType = "gemini-api-key"`: with only `GOOGLE_GEMINI_BASE_URL` set the
//!   CLI picks auth type `gateway`, which `-p` mode rejects.
//! - `telemetry`: enabled, target `local`, `otlpEndpoint` the capture server, `otlpProtocol:
//!   "http"` (OTLP/HTTP JSON, the CLI appends `/v1/{logs,metrics,traces}`; its only other
//!   protocol is gRPC), `traces: true` (without it the spans carry no GenAI payloads and
//!   `gen_ai.client.inference.operation.details` no messages), and `logPrompts` from the
//!   scenario.
//! - `privacy.usageStatisticsEnabled = false` (no Clearcut usage logging to Google) and
//!   `general.enableAutoUpdate` / `enableAutoUpdateNotification` off (no update check).
//!
//! The content switch is `GEMINI_TELEMETRY_LOG_PROMPTS` (it takes precedence over the settings
//! file); a scenario sets it in its `[env]`, and the recipe mirrors it into `logPrompts` so both
//! say the same. Unset means the vendor default, which is *on*.

use std::collections::BTreeMap;

use serde_json::json;

use super::{CliInvocation, RunContext, VendorRecipe};
use crate::mock;
use crate::scenario::Scenario;

/// The dummy API key the CLI is given; the mock accepts anything.
pub const DUMMY_API_KEY: &str = "dummy-codetel-recorder-gemini-key-000000";

/// The environment variable that switches prompt, response and tool-argument logging.
pub const LOG_PROMPTS_FLAG: &str = "GEMINI_TELEMETRY_LOG_PROMPTS";

/// The recipe for vendor id `gemini_cli`.
pub const RECIPE: VendorRecipe = VendorRecipe {
    id: "gemini_cli",
    content_flags: &[LOG_PROMPTS_FLAG],
    invocation,
    mock_handler: mock::gemini::handler,
};

fn invocation(context: &RunContext, scenario: &Scenario) -> CliInvocation {
    let mut args = vec!["-p".to_string(), scenario.prompt.clone()];
    args.extend(scenario.args.iter().cloned());
    let mut env: BTreeMap<String, String> = context.base_env();
    let mut set = |key: &str, value: &str| {
        env.insert(key.to_string(), value.to_string());
    };
    set("GEMINI_API_KEY", DUMMY_API_KEY);
    set("GOOGLE_GEMINI_BASE_URL", &context.model_base_url);
    // Without trust the run stops with exit code 55 before doing anything.
    set("GEMINI_CLI_TRUST_WORKSPACE", "true");
    // No colour codes in the saved stdout/stderr.
    set("NO_COLOR", "1");
    for (key, value) in &scenario.env {
        set(key, value);
    }
    let log_prompts = env
        .get(LOG_PROMPTS_FLAG)
        .map(|value| value == "true" || value == "1");
    let mut telemetry = json!({
        "enabled": true,
        "target": "local",
        "otlpEndpoint": context.otlp_endpoint,
        "otlpProtocol": "http",
        "traces": true,
    });
    if let Some(log_prompts) = log_prompts {
        telemetry["logPrompts"] = json!(log_prompts);
    }
    let settings = json!({
        "security": { "auth": { "selectedType": "gemini-api-key" } },
        "telemetry": telemetry,
        "privacy": { "usageStatisticsEnabled": false },
        "general": { "enableAutoUpdate": false, "enableAutoUpdateNotification": false },
    });
    let settings_text = serde_json::to_string_pretty(&settings).unwrap_or_default() + "\n";
    let mut files = BTreeMap::new();
    files.insert(context.home.join(".gemini/settings.json"), settings_text);
    CliInvocation { args, env, files }
}
