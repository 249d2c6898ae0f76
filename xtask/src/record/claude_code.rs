//! How Claude Code is driven for a recording: print mode, a dummy key, the Anthropic mock as
//! its API, and its OTLP exporters pointed at the capture server.

use std::collections::BTreeMap;

use super::{CliInvocation, RunContext, VendorRecipe};
use crate::mock;
use crate::scenario::Scenario;

/// The dummy API key the CLI is given; the mock accepts anything.
pub const DUMMY_API_KEY: &str = "sk-ant-dummy-codetel-recorder-000000000000";

/// The recipe for vendor id `claude_code`.
pub const RECIPE: VendorRecipe = VendorRecipe {
    id: "claude_code",
    content_flags: &[
        "OTEL_LOG_USER_PROMPTS",
        "OTEL_LOG_ASSISTANT_RESPONSES",
        "OTEL_LOG_TOOL_DETAILS",
        "OTEL_LOG_TOOL_CONTENT",
        "OTEL_LOG_RAW_API_BODIES",
    ],
    invocation,
    mock_handler: mock::anthropic::handler,
};

fn invocation(context: &RunContext, scenario: &Scenario) -> CliInvocation {
    let mut args = vec!["-p".to_string(), scenario.prompt.clone()];
    args.extend(scenario.args.iter().cloned());
    let mut env: BTreeMap<String, String> = context.base_env();
    let mut set = |key: &str, value: &str| {
        env.insert(key.to_string(), value.to_string());
    };
    set("ANTHROPIC_API_KEY", DUMMY_API_KEY);
    set("ANTHROPIC_BASE_URL", &context.model_base_url);
    // Telemetry: logs and metrics always; traces only when a scenario turns on the beta.
    set("CLAUDE_CODE_ENABLE_TELEMETRY", "1");
    set("OTEL_METRICS_EXPORTER", "otlp");
    set("OTEL_LOGS_EXPORTER", "otlp");
    set("OTEL_EXPORTER_OTLP_PROTOCOL", &scenario.otlp_protocol);
    set("OTEL_EXPORTER_OTLP_ENDPOINT", &context.otlp_endpoint);
    // Short intervals so a one-shot run exports before it exits, not only at shutdown.
    set("OTEL_METRIC_EXPORT_INTERVAL", "1000");
    set("OTEL_LOGS_EXPORT_INTERVAL", "500");
    set("OTEL_TRACES_EXPORT_INTERVAL", "500");
    // Keep everything on loopback: no updater, no error reporting, no first-party analytics,
    // no marketplace install, no surveys. None of these switch off the OTLP exporters
    // (checked: telemetry still arrives with all of them set).
    set("DISABLE_AUTOUPDATER", "1");
    set("DISABLE_ERROR_REPORTING", "1");
    set("DISABLE_TELEMETRY", "1");
    set("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1");
    set("CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL", "1");
    set("CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY", "1");
    for (key, value) in &scenario.env {
        set(key, value);
    }
    CliInvocation {
        args,
        env,
        files: BTreeMap::new(),
    }
}
