//! How GitHub Copilot CLI is driven for a recording: `copilot -p … --allow-all-tools` in offline
//! BYOK mode (`COPILOT_OFFLINE=true`, `COPILOT_PROVIDER_*` pointing at the Chat Completions mock),
//! and its native OTLP exporter pointed at the capture server.
//!
//! Offline mode turns off GitHub auth, GitHub's own telemetry, web tools and auto-update; the
//! OTLP export still runs. The exporter speaks `http/json` and `http/protobuf` as the scenario
//! asks. The content switch is `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`, set
//! explicitly so the manifest always shows it.

use std::collections::BTreeMap;

use super::{CliInvocation, RunContext, VendorRecipe};
use crate::mock;
use crate::scenario::Scenario;

/// The dummy API key the CLI is given; the mock accepts anything.
pub const DUMMY_API_KEY: &str = "sk-dummy-codetel-recorder-copilot-0000000000";
/// The model the CLI asks for.
pub const MODEL: &str = "gpt-4.1";
/// Copilot's content switch (GenAI semantic-convention message capture).
const CAPTURE_CONTENT: &str = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT";

/// The recipe for vendor id `copilot_cli`.
pub const RECIPE: VendorRecipe = VendorRecipe {
    id: "copilot_cli",
    content_flags: &[CAPTURE_CONTENT],
    invocation,
    mock_handler: mock::openai_chat::handler,
};

fn invocation(context: &RunContext, scenario: &Scenario) -> CliInvocation {
    let mut args = vec![
        "-p".to_string(),
        scenario.prompt.clone(),
        "--allow-all-tools".to_string(),
    ];
    args.extend(scenario.args.iter().cloned());
    let mut env: BTreeMap<String, String> = context.base_env();
    let mut set = |key: &str, value: &str| {
        env.insert(key.to_string(), value.to_string());
    };
    set(
        "COPILOT_HOME",
        &context.home.join(".copilot").display().to_string(),
    );
    set("COPILOT_OFFLINE", "true");
    set("COPILOT_AUTO_UPDATE", "false");
    set(
        "COPILOT_PROVIDER_BASE_URL",
        &format!("{}/v1", context.model_base_url),
    );
    set("COPILOT_PROVIDER_API_KEY", DUMMY_API_KEY);
    set("COPILOT_MODEL", MODEL);
    set("OTEL_EXPORTER_OTLP_ENDPOINT", &context.otlp_endpoint);
    set("OTEL_EXPORTER_OTLP_PROTOCOL", &scenario.otlp_protocol);
    // Content off unless the scenario says otherwise, and always explicit in the manifest.
    set(CAPTURE_CONTENT, "false");
    for (key, value) in &scenario.env {
        set(key, value);
    }
    CliInvocation { args, env, files: BTreeMap::new() }
}
