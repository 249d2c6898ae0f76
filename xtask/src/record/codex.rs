//! How Codex CLI is driven for a recording: `codex exec` with a fresh `CODEX_HOME`, whose
//! `config.toml` makes the OpenAI Responses mock its model provider and points the three OTLP
//! exporters at the capture server.
//!
//! Codex reads its telemetry switches from `config.toml` (`[otel]`), not the environment, so the
//! scenario's `[config]` table (dotted keys such as `otel.log_user_prompt` or
//! `model_providers.mock.request_max_retries`) is merged over the base document below.
//! What keeps the run on loopback (real-cli-capture.md §3 and §8): `[features] plugins = false`
//! and `apps = false` (otherwise GitHub DNS lookups), `[analytics] enabled = false`, and an
//! explicit `metrics_exporter` (the built-in default is a statsig exporter to OpenAI).

use std::collections::BTreeMap;

use super::{CliInvocation, RunContext, VendorRecipe};
use crate::mock;
use crate::scenario::Scenario;

/// The dummy API key the CLI is given; the mock accepts anything.
pub const DUMMY_API_KEY: &str = "sk-dummy-codetel-recorder-000000000000";

/// The recipe for vendor id `codex`.
pub const RECIPE: VendorRecipe = VendorRecipe {
    id: "codex",
    content_flags: &["otel.log_user_prompt", "otel.log_agent_responses"],
    invocation,
    mock_handler: mock::openai_responses::handler,
};

fn invocation(context: &RunContext, scenario: &Scenario) -> CliInvocation {
    let codex_home = context.home.join(".codex");
    let config = config_toml(context, scenario);
    // Kept in the run folder too, next to the CLI's output, for anyone re-running by hand.
    let _ = std::fs::write(context.run_dir.join("codex-config.toml"), &config);

    let mut args = vec!["exec".to_string(), "--skip-git-repo-check".to_string()];
    args.extend(scenario.args.iter().cloned());
    args.push(scenario.prompt.clone());
    let mut env: BTreeMap<String, String> = context.base_env();
    env.insert("CODEX_HOME".into(), codex_home.display().to_string());
    env.insert("MOCK_API_KEY".into(), DUMMY_API_KEY.into());
    for (key, value) in &scenario.env {
        env.insert(key.clone(), value.clone());
    }
    // The orchestrator writes it before the run (failing loudly if it cannot) and lists it
    // in the manifest.
    let files = BTreeMap::from([(codex_home.join("config.toml"), config)]);
    CliInvocation { args, env, files }
}

/// The OTLP/HTTP `protocol` value Codex understands for a scenario's protocol.
fn codex_protocol(otlp_protocol: &str) -> &'static str {
    match otlp_protocol {
        "http/protobuf" => "binary",
        _ => "json",
    }
}

/// The base config, then the scenario's dotted-key overrides.
fn config_toml(context: &RunContext, scenario: &Scenario) -> String {
    let protocol = codex_protocol(&scenario.otlp_protocol);
    let exporter = |signal: &str| {
        let mut http = toml::Table::new();
        http.insert(
            "endpoint".into(),
            format!("{}/v1/{signal}", context.otlp_endpoint).into(),
        );
        http.insert("protocol".into(), protocol.into());
        let mut exporter = toml::Table::new();
        exporter.insert("otlp-http".into(), http.into());
        toml::Value::Table(exporter)
    };
    let mut root = toml::Table::new();
    let mut set = |path: &str, value: toml::Value| set_dotted(&mut root, path, value);
    set("model", "gpt-5.1-codex".into());
    set("model_provider", "mock".into());
    set("approval_policy", "never".into());
    set("sandbox_mode", "danger-full-access".into());
    set("check_for_update_on_startup", false.into());
    set("model_providers.mock.name", "Mock".into());
    set(
        "model_providers.mock.base_url",
        format!("{}/v1", context.model_base_url).into(),
    );
    set("model_providers.mock.env_key", "MOCK_API_KEY".into());
    // Chat Completions is not an option in this version.
    set("model_providers.mock.wire_api", "responses".into());
    set("model_providers.mock.supports_websockets", false.into());
    set("model_providers.mock.request_max_retries", 0.into());
    set("model_providers.mock.stream_max_retries", 0.into());
    set("features.plugins", false.into());
    set("features.apps", false.into());
    set("analytics.enabled", false.into());
    set("otel.environment", "codetel".into());
    set("otel.log_user_prompt", false.into());
    set("otel.log_agent_responses", false.into());
    set("otel.exporter", exporter("logs"));
    set("otel.trace_exporter", exporter("traces"));
    set("otel.metrics_exporter", exporter("metrics"));
    for (path, value) in &scenario.config {
        set(path, value.clone());
    }
    toml::to_string_pretty(&root).unwrap_or_default()
}

/// Sets `a.b.c = value`, creating (or replacing non-table values with) tables on the way.
fn set_dotted(root: &mut toml::Table, path: &str, value: toml::Value) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut table = root;
    for part in parts {
        let entry = table
            .entry(part.to_string())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if !entry.is_table() {
            *entry = toml::Value::Table(toml::Table::new());
        }
        let toml::Value::Table(next) = entry else {
            return;
        };
        table = next;
    }
    table.insert(last.to_string(), value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_keys_merge_into_nested_tables() {
        let mut root = toml::Table::new();
        set_dotted(&mut root, "model_providers.mock.name", "Mock".into());
        set_dotted(
            &mut root,
            "model_providers.mock.request_max_retries",
            2.into(),
        );
        set_dotted(&mut root, "otel.log_user_prompt", true.into());
        set_dotted(&mut root, "otel.log_user_prompt", false.into());
        let text = toml::to_string(&root).expect("serializes");
        let parsed: toml::Table = toml::from_str(&text).expect("parses");
        assert_eq!(
            parsed["model_providers"]["mock"]["name"].as_str(),
            Some("Mock")
        );
        assert_eq!(
            parsed["model_providers"]["mock"]["request_max_retries"].as_integer(),
            Some(2)
        );
        assert_eq!(parsed["otel"]["log_user_prompt"].as_bool(), Some(false));
    }

    #[test]
    fn protocols_map_to_codex_names() {
        assert_eq!(codex_protocol("http/json"), "json");
        assert_eq!(codex_protocol("http/protobuf"), "binary");
    }
}
