//! `cargo xtask new-adapter NAME`: scaffolds a vendor so that the next `cargo test` fails only
//! because the vendor has no captures yet.
//!
//! It writes `adapters/<name>/mod.rs` (the module doc template and a stub `impl Adapter`
//! that keeps every item as passthrough and reports every name unknown, so conformance lists
//! what is left to map), mounts and registers it in `adapters/mod.rs` in sorted order, and
//! creates `corpus/<name>/README.md` and a starter scenario in `xtask/scenarios/<name>/`.
//! It refuses to overwrite anything.

use std::path::Path;

use anyhow::{bail, Context, Result};

/// Rust keywords a module cannot be named after.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn", "for",
    "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self", "static", "struct",
    "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "try", "typeof", "unsized", "virtual", "yield", "gen",
];

/// Checks a vendor id: snake_case ASCII starting with a letter, not a keyword.
pub fn validate_name(name: &str) -> Result<()> {
    let well_formed = name.chars().next().is_some_and(|it| it.is_ascii_lowercase())
        && name.chars().all(|it| it.is_ascii_lowercase() || it.is_ascii_digit() || it == '_')
        && !name.ends_with('_')
        && !name.contains("__");
    if !well_formed {
        bail!("{name:?} is not a vendor id: use snake_case ASCII starting with a letter, like `my_agent`");
    }
    if KEYWORDS.contains(&name) {
        bail!("{name:?} is a Rust keyword; pick another vendor id");
    }
    Ok(())
}

/// `my_agent` → `MyAgent`.
pub fn type_name(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

/// `my_agent` → `My Agent`.
fn title(name: &str) -> String {
    name.split('_').map(type_name).collect::<Vec<_>>().join(" ")
}

/// The stub adapter module.
pub fn adapter_source(name: &str, package: &str) -> String {
    let ty = type_name(name);
    let title = title(name);
    format!(
        r#"//! {title} (`{package}`): TODO say which signals the CLI exports and how they are switched on.
//!
//! ## What it maps
//! - Nothing yet: every log record, data point and span becomes a `passthrough` record, and
//!   every name is reported once with an `unknown_event_name`, `unknown_metric_name` or
//!   `unknown_span_name` finding, so `cargo xtask conformance --vendor {name}` lists every name
//!   left to map (rule CA-COV-001). Replace this list with one line per name and the record
//!   kind it becomes.
//!
//! ## Rules
//! - TODO: token semantics (does the vendor's input count include cache reads?), cost units,
//!   model names, where the session id and user identity come from.
//!
//! ## Vendor quirks
//! - TODO: one line per quirk, naming the capture that shows it
//!   (`corpus/{name}/<version>/<scenario>`).

use std::collections::HashSet;

use crate::adapter::{{passthrough, Adapter, Item, ItemData, Normalized, Signature}};
use crate::finding::{{Finding, Level}};
use crate::otlp::{{find_attr, AnyValue}};

/// The {title} adapter.
pub struct {ty};

const VENDOR: &str = "{name}";

/// What identifies {title}'s telemetry. Empty until the first capture shows it: fill it in
/// from `cargo run -- inspect corpus/{name}` (scope names first; they survive
/// `OTEL_SERVICE_NAME`).
static SIGNATURE: Signature = Signature {{ scope_prefixes: &[], service_names: &[], name_prefixes: &[] }};

impl Adapter for {ty} {{
    fn name(&self) -> &'static str {{
        VENDOR
    }}

    fn signature(&self) -> &'static Signature {{
        &SIGNATURE
    }}

    fn normalize(&self, items: &[Item<'_>]) -> Normalized {{
        let mut out = Normalized::default();
        let mut reported: HashSet<String> = HashSet::new();
        for item in items {{
            let (name, finding_id, what) = match item.data {{
                ItemData::Log(record) => {{
                    let name = match (find_attr(&record.attributes, "event.name"), &record.body) {{
                        (Some(AnyValue::String(name)), _) => name.clone(),
                        (_, Some(AnyValue::String(body))) if !body.contains(' ') => body.clone(),
                        _ => record.event_name.clone(),
                    }};
                    (name, "unknown_event_name", "event")
                }}
                ItemData::Point {{ metric, .. }} => (metric.name.clone(), "unknown_metric_name", "metric"),
                ItemData::Span(span) => (span.name.clone(), "unknown_span_name", "span"),
            }};
            if reported.insert(name.clone()) {{
                out.findings.push(
                    Finding::new(finding_id, Level::Improvement, format!("{{what}} `{{name}}` is not mapped yet; kept as passthrough"))
                        .for_vendor(VENDOR)
                        .at(item.location("")),
                );
            }}
            out.records.push(passthrough(VENDOR, item, &name).finish());
        }}
        out
    }}
}}
"#
    )
}

/// `adapters/mod.rs` with `name` mounted and registered, both in sorted order.
pub fn register(registry: &str, name: &str) -> Result<String> {
    let mount = format!("mod {name};");
    if registry.lines().any(|line| line.trim() == mount) {
        bail!("adapters/mod.rs already mounts `{name}`");
    }
    let mut lines: Vec<String> = registry.lines().map(str::to_owned).collect();
    let mod_lines: Vec<usize> =
        lines.iter().enumerate().filter(|(_, line)| line.starts_with("mod ") && line.ends_with(';')).map(|it| it.0).collect();
    let Some(&last_mod) = mod_lines.last() else { bail!("adapters/mod.rs has no `mod <vendor>;` lines to add to") };
    let position = mod_lines.iter().copied().find(|index| lines[*index].as_str() > mount.as_str()).unwrap_or(last_mod + 1);
    lines.insert(position, mount);
    let text = lines.join("\n") + "\n";

    let start_marker = "pub static ALL: &[&'static dyn Adapter] = &[";
    let Some(start) = text.find(start_marker) else { bail!("adapters/mod.rs has no `{start_marker}` line") };
    let list_start = start + start_marker.len();
    let Some(list_len) = text[list_start..].find("];") else { bail!("adapters/mod.rs: `ALL` is not closed by `];`") };
    let mut entries: Vec<String> = text[list_start..list_start + list_len]
        .split(',')
        .map(|it| it.trim().to_owned())
        .filter(|it| !it.is_empty())
        .collect();
    entries.push(format!("&{name}::{}", type_name(name)));
    entries.sort_by_key(|entry| entry.trim_start_matches('&').split("::").next().unwrap_or_default().to_owned());
    let one_line = format!("{start_marker}{}];", entries.join(", "));
    // rustfmt's width: one line while it fits in 100 columns, else one entry per line.
    let list = if one_line.len() <= 100 {
        one_line
    } else {
        format!("{start_marker}\n{}];", entries.iter().map(|it| format!("    {it},\n")).collect::<String>())
    };
    Ok(format!("{}{list}{}", &text[..start], &text[list_start + list_len + 2..]))
}

/// `corpus/<name>/README.md`.
pub fn corpus_readme(name: &str, package: &str) -> String {
    format!(
        "# {title} corpus\n\n\
Captures of `{package}` recorded by `cargo xtask record {name} --all`, one folder per CLI version and scenario: `corpus/{name}/<version>/<scenario>/`.\n\
Each holds the OTLP request bodies exactly as received and a `capture.toml` manifest (command, environment, content flags, canaries, expected item counts).\n\n\
## Scenarios\n\n\
The scenarios live in `xtask/scenarios/{name}/`; each should show one behaviour.\n\
A vendor's corpus holds at least a happy path and an error path.\n\n\
| scenario | what it exercises | recorded for |\n\
|---|---|---|\n\
| `text_answer` | a plain text answer, no tools | not yet |\n\
| `tool_call` | one shell tool call, then a text answer | to write |\n\
| `api_error` | the model API fails; what the CLI reports | to write |\n\
| `content_flags_on` | every content switch on, with planted canaries | to write |\n",
        title = title(name)
    )
}

/// The starter scenario `xtask/scenarios/<name>/text_answer.toml`.
pub fn starter_scenario(name: &str) -> String {
    format!(
        r#"purpose = "Plain text answer in one-shot mode, no tools; logs and metrics over http/json."
prompt = "What is 2+2? Answer in one short sentence."
otlp_protocol = "http/json"
notes = "Starter scenario written by `cargo xtask new-adapter {name}`; the recorder needs a recipe in xtask/src/record/{name}.rs and a pin in xtask/cli-versions.toml before it can run."

[[model.turns]]
kind = "text"
text = "2 + 2 is 4."
"#
    )
}

/// Writes a file that must not exist yet.
fn create(path: &Path, text: &str) -> Result<()> {
    if path.exists() {
        bail!("{} already exists; not overwriting it", path.display());
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// Scaffolds vendor `name` under `root`; `package` is the npm package, when known.
pub fn scaffold(root: &Path, name: &str, package: Option<&str>) -> Result<Vec<String>> {
    validate_name(name)?;
    let package = package.unwrap_or("TODO-npm-package");
    let registry_path = root.join("adapters/mod.rs");
    let registry = std::fs::read_to_string(&registry_path).with_context(|| format!("reading {}", registry_path.display()))?;
    let registry = register(&registry, name)?;
    let files = [
        (format!("adapters/{name}/mod.rs"), adapter_source(name, package)),
        (format!("corpus/{name}/README.md"), corpus_readme(name, package)),
        (format!("xtask/scenarios/{name}/text_answer.toml"), starter_scenario(name)),
    ];
    for (relative, _) in &files {
        if root.join(relative).exists() {
            bail!("{relative} already exists; not overwriting it");
        }
    }
    for (relative, text) in &files {
        create(&root.join(relative), text)?;
    }
    std::fs::write(&registry_path, registry).with_context(|| format!("writing {}", registry_path.display()))?;
    let mut written: Vec<String> = files.into_iter().map(|it| it.0).collect();
    written.push("adapters/mod.rs (mounted and registered)".to_owned());
    Ok(written)
}

/// Runs the command and prints what to do next.
pub fn run(root: &Path, name: &str, package: Option<&str>) -> Result<()> {
    for written in scaffold(root, name, package)? {
        eprintln!("wrote {written}");
    }
    eprintln!(
        "\nnext (CONTRIBUTING.md walks through each step):\n  \
1. teach the recorder: xtask/src/record/{name}.rs (a VendorRecipe) and a pin in xtask/cli-versions.toml\n  \
2. record: cargo xtask record {name} --all\n  \
3. look: cargo run -- inspect corpus/{name}\n  \
4. map: fill SIGNATURE and normalize() in adapters/{name}/mod.rs\n  \
5. review snapshots: cargo insta test --review (or INSTA_UPDATE=always cargo test, then read the .snap files)\n  \
6. pass: cargo xtask conformance --vendor {name}, then cargo test --workspace\n\n\
until step 2, `cargo test` fails with: adapter `{name}` has no captures yet"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTRY: &str = "//! The registry.\n\nmod claude_code;\n\nuse crate::adapter::Adapter;\n\n/// Every adapter.\npub static ALL: &[&'static dyn Adapter] = &[&claude_code::ClaudeCode];\n\npub fn by_name() {}\n";

    #[test]
    fn names_are_checked_and_camel_cased() {
        assert!(validate_name("my_agent").is_ok());
        for bad in ["MyAgent", "my-agent", "1agent", "", "agent_", "my__agent", "type", "mod"] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(type_name("my_agent"), "MyAgent");
        assert_eq!(type_name("qwen_code2"), "QwenCode2");
    }

    #[test]
    fn registration_is_sorted_in_both_places() {
        let text = register(REGISTRY, "aider").expect("registers");
        assert!(text.contains("mod aider;\nmod claude_code;"), "{text}");
        assert!(text.contains("= &[&aider::Aider, &claude_code::ClaudeCode];"), "{text}");
        let text = register(&text, "zed").expect("registers");
        assert!(text.contains("mod claude_code;\nmod zed;"), "{text}");
        assert!(text.contains("&[&aider::Aider, &claude_code::ClaudeCode, &zed::Zed];"), "{text}");
        assert!(register(&text, "aider").is_err(), "a second registration is refused");
        assert!(text.ends_with("pub fn by_name() {}\n"), "the rest of the file is kept");
    }

    #[test]
    fn long_registries_go_one_entry_per_line() {
        let mut text = REGISTRY.to_owned();
        for name in ["codex", "copilot_cli", "gemini_cli", "goose", "opencode", "qwen_code"] {
            text = register(&text, name).expect("registers");
        }
        assert!(text.contains("= &[\n    &claude_code::ClaudeCode,\n    &codex::Codex,\n"), "{text}");
        let again = register(&text, "aider").expect("registers a multi-line list");
        assert!(again.contains("= &[\n    &aider::Aider,\n    &claude_code::ClaudeCode,\n"), "{again}");
    }

    #[test]
    fn the_stub_has_the_doc_template_and_refuses_to_overwrite() {
        let source = adapter_source("my_agent", "@example/my-agent");
        for section in crate::tidy::ADAPTER_DOC_SECTIONS.iter().chain(&["## Rules"]) {
            assert!(source.contains(&format!("//! {section}")), "{section}");
        }
        assert!(source.starts_with("//! My Agent (`@example/my-agent`)"));
        assert!(source.contains("impl Adapter for MyAgent"));

        let root = std::env::temp_dir().join(format!("codetel-new-adapter-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("adapters")).expect("temp dir");
        std::fs::write(root.join("adapters/mod.rs"), REGISTRY).expect("write");
        let written = scaffold(&root, "my_agent", None).expect("scaffolds");
        assert_eq!(written.len(), 4);
        assert!(root.join("adapters/my_agent/mod.rs").is_file());
        assert!(root.join("corpus/my_agent/README.md").is_file());
        let scenario = std::fs::read_to_string(root.join("xtask/scenarios/my_agent/text_answer.toml")).expect("scenario");
        assert!(toml::from_str::<crate::scenario::Scenario>(&scenario).is_ok(), "the starter scenario parses");
        assert!(scaffold(&root, "my_agent", None).is_err(), "a second scaffold is refused");
        let _ = std::fs::remove_dir_all(&root);
    }
}
