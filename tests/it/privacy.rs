//! The privacy layer: the secret scrubber's pattern table, what each capture mode keeps of every
//! canonical key and vendor value type, canaries that must never leak, and idempotence.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use codetel::privacy::{self, PrivacyReport, SecretCounts, SecretKind};
use codetel::schema::attributes::{self, Class};
use codetel::schema::{CanonicalRecord, CaptureMode, RecordKind, Redacted, SourceRef, Value};
use codetel::otlp::Signal;

// ------------------------------------------------------------------------------------------------
// Scrubber table
// ------------------------------------------------------------------------------------------------

/// Fake but well-formed secrets; none is a live credential.
const ANTHROPIC_KEY: &str = "sk-ant-api03-Zx9QwErTyUiOpAsDfGhJkLzXcVbNm1234567890AbCdEfGh";
const OPENAI_PROJECT_KEY: &str = "sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90";
const OPENAI_LEGACY_KEY: &str = "sk-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv12Wx34";
const AWS_ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";

/// One scrubber case: input, expected output, and the kinds it must count.
struct Case {
    input: String,
    expected: String,
    kinds: Vec<(SecretKind, usize)>,
}

fn positive(input: impl Into<String>, expected: impl Into<String>, kinds: &[(SecretKind, usize)]) -> Case {
    Case { input: input.into(), expected: expected.into(), kinds: kinds.to_vec() }
}

fn negative(input: impl Into<String>) -> Case {
    let input = input.into();
    Case { expected: input.clone(), input, kinds: Vec::new() }
}

fn positive_cases() -> Vec<Case> {
    use SecretKind::*;
    let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\naFDrBz9vFqU4yVvL\n-----END RSA PRIVATE KEY-----";
    let openssh = "-----BEGIN OPENSSH PRIVATE KEY-----\r\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\r\n-----END OPENSSH PRIVATE KEY-----";
    vec![
        positive(format!("key {ANTHROPIC_KEY} end"), "key [REDACTED:anthropic_api_key] end", &[(AnthropicApiKey, 1)]),
        positive(
            "sk-ant-oat01-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
            "[REDACTED:anthropic_api_key]",
            &[(AnthropicApiKey, 1)],
        ),
        positive(
            format!("export OPENAI_API_KEY={OPENAI_PROJECT_KEY}"),
            "export OPENAI_API_KEY=[REDACTED:openai_api_key]",
            &[(OpenaiApiKey, 1)],
        ),
        positive(format!("\"{OPENAI_LEGACY_KEY}\""), "\"[REDACTED:openai_api_key]\"", &[(OpenaiApiKey, 1)]),
        positive(
            "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78 gho_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
            "[REDACTED:github_token] [REDACTED:github_token]",
            &[(GithubToken, 2)],
        ),
        positive(
            "ghu_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78,ghs_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78;ghr_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
            "[REDACTED:github_token],[REDACTED:github_token];[REDACTED:github_token]",
            &[(GithubToken, 3)],
        ),
        positive(
            "git clone https://github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123@github.com/o/r",
            "git clone https://[REDACTED:github_token]@github.com/o/r",
            &[(GithubToken, 1)],
        ),
        positive(
            "GITLAB=glpat-Ab12Cd34Ef56Gh78Ij90 and gldt-Ab12Cd34Ef56Gh78Ij90Kl",
            "GITLAB=[REDACTED:gitlab_token] and [REDACTED:gitlab_token]",
            &[(GitlabToken, 2)],
        ),
        positive(
            "STRIPE_KEY_sk_live_51Ab12Cd34Ef56Gh78Ij90 rk_test_Ab12Cd34Ef56Gh78 whsec_Ab12Cd34Ef56Gh78Ij90Kl12",
            "STRIPE_KEY_[REDACTED:stripe_key] [REDACTED:stripe_key] [REDACTED:stripe_key]",
            &[(StripeKey, 3)],
        ),
        positive(
            "//registry.npmjs.org/:_authToken npm_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
            "//registry.npmjs.org/:_authToken [REDACTED:npm_token]",
            &[(NpmToken, 1)],
        ),
        positive("HF hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh.", "HF [REDACTED:huggingface_token].", &[(HuggingFaceToken, 1)]),
        positive(format!("id={AWS_ACCESS_KEY_ID}."), "id=[REDACTED:aws_access_key_id].", &[(AwsAccessKeyId, 1)]),
        positive("ASIAY34FZKBOKMUTVV7A", "[REDACTED:aws_access_key_id]", &[(AwsAccessKeyId, 1)]),
        positive("key AKIAMARMOSETPROBE7Q2X.", "key [REDACTED:aws_access_key_id].", &[(AwsAccessKeyId, 1)]),
        positive(
            format!("[default]\naws_secret_access_key = {AWS_SECRET}\n"),
            "[default]\naws_secret_access_key = [REDACTED:aws_secret_access_key]\n",
            &[(AwsSecretAccessKey, 1)],
        ),
        positive(
            format!("{{\"SecretAccessKey\": \"{AWS_SECRET}\"}}"),
            "{\"SecretAccessKey\": \"[REDACTED:aws_secret_access_key]\"}",
            &[(AwsSecretAccessKey, 1)],
        ),
        positive(
            format!("export MY_AWS_SECRET_ACCESS_KEY='{AWS_SECRET}'"),
            "export MY_AWS_SECRET_ACCESS_KEY='[REDACTED:aws_secret_access_key]'",
            &[(AwsSecretAccessKey, 1)],
        ),
        positive(
            "maps?key=AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe&z=3",
            "maps?key=[REDACTED:google_api_key]&z=3",
            &[(GoogleApiKey, 1)],
        ),
        positive(
            "SLACK=xoxb-2048614722-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
            "SLACK=[REDACTED:slack_token]",
            &[(SlackToken, 1)],
        ),
        positive("xoxp-1234567890-abcdefghij", "[REDACTED:slack_token]", &[(SlackToken, 1)]),
        positive(format!("cookie: session={JWT}; path=/"), "cookie: session=[REDACTED:jwt]; path=/", &[(Jwt, 1)]),
        positive(
            format!("Authorization: Bearer {JWT}"),
            "Authorization: Bearer [REDACTED:jwt]",
            &[(Jwt, 1)],
        ),
        positive(
            "curl -H 'Authorization: Bearer abc123def456ghi789' https://api",
            "curl -H 'Authorization: Bearer [REDACTED:bearer_token]' https://api",
            &[(BearerToken, 1)],
        ),
        positive(
            "{\"authorization\":\"bearer ya29.a0AfH6SMBx-3kZ_9q\"}",
            "{\"authorization\":\"bearer [REDACTED:bearer_token]\"}",
            &[(BearerToken, 1)],
        ),
        positive(
            "Authorization: Basic dXNlcjpwYXNzd29yZA==",
            "Authorization: Basic [REDACTED:basic_auth]",
            &[(BasicAuth, 1)],
        ),
        positive(format!("before\n{pem}\nafter"), "before\n[REDACTED:private_key]\nafter", &[(PrivateKey, 1)]),
        positive(format!("{openssh}\r\n"), "[REDACTED:private_key]\r\n", &[(PrivateKey, 1)]),
        positive(
            "k = \"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2.0.22 (GNU/Linux)\n\nlQOYBFbZ\n=nN2z\n-----END PGP PRIVATE KEY BLOCK-----\"",
            "k = \"[REDACTED:private_key]\"",
            &[(PrivateKey, 1)],
        ),
        positive(
            // JSON text of a tool result: newlines are `\n` escapes.
            "{\"content\":\"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBkg\\n-----END EC PRIVATE KEY-----\\n\"}",
            "{\"content\":\"[REDACTED:private_key]\\n\"}",
            &[(PrivateKey, 1)],
        ),
        positive(
            // Truncated before the END line (vendors cap content length).
            "cat id_rsa\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nVJTUt9Us8cKj",
            "cat id_rsa\n[REDACTED:private_key]",
            &[(PrivateKey, 1)],
        ),
        positive(
            "DATABASE_URL=postgres://admin:hunter2@db.internal:5432/app",
            "DATABASE_URL=postgres://admin:[REDACTED:url_password]@db.internal:5432/app",
            &[(UrlPassword, 1)],
        ),
        positive("redis://:s3cr3t@cache:6379/0", "redis://:[REDACTED:url_password]@cache:6379/0", &[(UrlPassword, 1)]),
        positive(
            "GET https://api.example.com/v1?user=bob&api_key=abc123&format=json",
            "GET https://api.example.com/v1?user=bob&api_key=[REDACTED:secret_assignment]&format=json",
            &[(SecretAssignment, 1)],
        ),
        positive(
            "/callback?code=x&access_token=opaque-value-1&state=y",
            "/callback?code=x&access_token=[REDACTED:secret_assignment]&state=y",
            &[(SecretAssignment, 1)],
        ),
        positive(
            "DB_PASSWORD=\"correct horse battery\" ./run.sh",
            "DB_PASSWORD=\"[REDACTED:secret_assignment]\" ./run.sh",
            &[(SecretAssignment, 1)],
        ),
        positive("mysql --password=hunter2 -u root", "mysql --password=[REDACTED:secret_assignment] -u root", &[(SecretAssignment, 1)]),
        positive("SECRET='p@ss word'", "SECRET='[REDACTED:secret_assignment]'", &[(SecretAssignment, 1)]),
        positive(
            "{\"user\": \"bob\", \"password\": \"hun\\\"ter2\", \"apiKey\":\"abc\"}",
            "{\"user\": \"bob\", \"password\": \"[REDACTED:secret_assignment]\", \"apiKey\":\"[REDACTED:secret_assignment]\"}",
            &[(SecretAssignment, 2)],
        ),
        positive(
            // JSON inside a JSON string, as in tool parameters.
            "{\"input\":\"{\\\"client_secret\\\":\\\"abc-def\\\"}\"}",
            "{\"input\":\"{\\\"client_secret\\\":\\\"[REDACTED:secret_assignment]\\\"}\"}",
            &[(SecretAssignment, 1)],
        ),
        positive("db:\n  password: hunter22\n", "db:\n  password: [REDACTED:secret_assignment]\n", &[(SecretAssignment, 1)]),
        positive(
            "x-api-key: 0123abcd4567efgh",
            "x-api-key: [REDACTED:secret_assignment]",
            &[(SecretAssignment, 1)],
        ),
        positive(
            format!("two: {AWS_ACCESS_KEY_ID} and {ANTHROPIC_KEY}"),
            "two: [REDACTED:aws_access_key_id] and [REDACTED:anthropic_api_key]",
            &[(AwsAccessKeyId, 1), (AnthropicApiKey, 1)],
        ),
        positive(
            format!("https://me:{ANTHROPIC_KEY}@proxy/"),
            "https://me:[REDACTED:anthropic_api_key]@proxy/",
            &[(AnthropicApiKey, 1)],
        ),
    ]
}

fn negative_cases() -> Vec<Case> {
    [
        // Model names and ids.
        "claude-opus-4-8",
        "claude-sonnet-4-5-20250929",
        "gpt-5.1-codex-max",
        "gemini-2.5-pro",
        "3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c",
        "b2f6c4a18e9d7c3b5a1f0e2d4c6b8a9f7e5d3c1b2a4f6e8d0c9b7a5f3e1d2c4b",
        "e83c5163316f89bfbde7d9ab23ca2e25604af290",
        "req_011CVxyzAbCdEfGhIjKlMnOpQrSt",
        "msg_01XFDUDYJgAACzvnptvVoYEL",
        "toolu_01A09q90qw90lq917835lq9",
        "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        // File names and paths.
        "src/privacy/secrets.rs",
        "token_counter.py",
        "reset_password.html",
        "~/.ssh/id_ed25519.pub",
        "/home/me/.aws/credentials",
        // Prose.
        "Use a Bearer token for authentication.",
        "Bearer tokens expire after an hour",
        "Basic functionality works; basic requirements are met.",
        "risk-assessment-framework-for-teams and ask-anything",
        "The secret: it is safe",
        "password: see the wiki",
        "Größe ändern — 変更 ✓ 🚀",
        "We use sk-learn for this",
        // Token counts and look-alike names.
        "max_tokens=4096",
        "input_tokens: 1200",
        "tokenizer=cl100k_base",
        "token_type=input",
        "gen_ai.token.type=output",
        "PWD=/home/me/project",
        // Not concrete values.
        "password=$DB_PASSWORD",
        "token=${GITHUB_TOKEN}",
        "password=",
        "\"password\": \"\"",
        "\"password\": null",
        "has_secret=true",
        "password=****",
        "set `token=<your token>` or TOKEN={{ .Token }} or token=%s",
        "const token = getToken();",
        "if token == expected:",
        // Public PEM blocks.
        "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
        "-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBa\n-----END CERTIFICATE-----",
        // URLs without credentials.
        "https://example.com:8443/path?q=1",
        "https://host:8080?x=@y",
        "git@github.com:org/repo.git",
        "ssh://git@github.com/org/repo",
        "https://abc123@o1.ingest.sentry.io/1",
        // Prefixes too short or wrong.
        "AKIAIOSFODNN7EXAMP",
        "akiaiosfodnn7example",
        "ghp_short",
        "xoxo-gossip-girl",
        "sk-ant-short",
        "sk-my-feature-branch-name-here",
        "eyJhbGciOiJIUzI1NiJ9",
        "AIzaShort",
        "glpat-short",
        "pk_live_51Ab12Cd34Ef56Gh78Ij90",
        "sk_live_short",
        "npm_install_dependencies",
        "hf_hub_download",
    ]
    .into_iter()
    .map(negative)
    .collect()
}

fn scrub(text: &str) -> (String, SecretCounts) {
    let mut found = SecretCounts::new();
    let out = privacy::scrub_text(text, &mut found).into_owned();
    (out, found)
}

#[test]
fn scrubber_redacts_every_pattern_and_keeps_the_surrounding_text() {
    for case in positive_cases() {
        let (out, found) = scrub(&case.input);
        assert_eq!(out, case.expected, "input: {:?}", case.input);
        let expected: SecretCounts = case.kinds.iter().copied().collect();
        assert_eq!(found, expected, "input: {:?}", case.input);
    }
}

#[test]
fn scrubber_leaves_ordinary_text_alone() {
    for case in negative_cases() {
        let (out, found) = scrub(&case.input);
        assert_eq!(out, case.expected, "input: {:?}", case.input);
        assert!(found.is_empty(), "input: {:?} found {found:?}", case.input);
    }
}

#[test]
fn scrubber_table_covers_every_secret_kind() {
    let covered: BTreeSet<SecretKind> =
        positive_cases().iter().flat_map(|it| it.kinds.iter().map(|(kind, _)| *kind)).collect();
    let all: BTreeSet<SecretKind> = SecretKind::ALL.iter().copied().collect();
    assert_eq!(covered, all);
}

#[test]
fn scrubbing_twice_changes_nothing_and_counts_nothing() {
    for case in positive_cases().into_iter().chain(negative_cases()) {
        let (once, _) = scrub(&case.input);
        let (twice, found) = scrub(&once);
        assert_eq!(twice, once, "input: {:?}", case.input);
        assert!(found.is_empty(), "input: {:?} found again {found:?}", case.input);
    }
}

#[test]
fn placeholders_name_their_kind() {
    for kind in SecretKind::ALL {
        assert_eq!(kind.placeholder(), format!("[REDACTED:{}]", kind.as_str()));
    }
}

// ------------------------------------------------------------------------------------------------
// Modes over every canonical key and every value type
// ------------------------------------------------------------------------------------------------

/// A name per `Value` variant. The match has no wildcard, so a new variant fails to compile here
/// until the vendor fixture below covers it.
fn variant_name(value: &Value) -> &'static str {
    match value {
        Value::Str(_) => "Str",
        Value::Int(_) => "Int",
        Value::Double(_) => "Double",
        Value::Bool(_) => "Bool",
        Value::StrList(_) => "StrList",
        Value::Json(_) => "Json",
        Value::Redacted(_) => "Redacted",
    }
}

const ALL_VARIANT_NAMES: [&str; 7] = ["Str", "Int", "Double", "Bool", "StrList", "Json", "Redacted"];

/// A value of the key's declared type; `text` for strings.
fn canonical_value(ty: &str, text: &str) -> Option<Value> {
    match ty {
        "string" => Some(Value::Str(text.to_owned())),
        "int" => Some(Value::Int(42)),
        "double" => Some(Value::Double(1.5)),
        "bool" => Some(Value::Bool(true)),
        "string[]" => Some(Value::StrList(vec![text.to_owned(), text.to_owned()])),
        _ => None,
    }
}

/// Every canonical key from `attributes::ALL`, with `text_for(class)` in its string values.
fn canonical_attributes(text_for: impl Fn(Class) -> String) -> BTreeMap<&'static str, Value> {
    attributes::ALL
        .iter()
        .map(|spec| {
            let value = canonical_value(spec.ty, &text_for(spec.class));
            assert!(value.is_some(), "{} has type {:?}, unknown to this test", spec.key, spec.ty);
            (spec.key, value.unwrap_or(Value::Bool(false)))
        })
        .collect()
}

/// Vendor attributes of every `Value` variant (and every JSON shape), with `text` in each string.
fn vendor_attributes(text: &str) -> BTreeMap<String, Value> {
    [
        ("v.str", Value::Str(text.to_owned())),
        ("v.int", Value::Int(3)),
        ("v.double", Value::Double(2.5)),
        ("v.bool", Value::Bool(false)),
        ("v.str_list", Value::StrList(vec![text.to_owned(), "x".to_owned()])),
        ("v.json_array", Value::Json(json!([text, 1, {"nested": text}]))),
        ("v.json_map", Value::Json(json!({"a": text, "b": [text, {"deep": text}], "c": 2}))),
        ("v.json_string", Value::Json(json!(text))),
        ("v.json_number", Value::Json(json!(5))),
        ("v.json_bool", Value::Json(json!(true))),
        ("v.json_null", Value::Json(serde_json::Value::Null)),
        ("resource.v.bytes", Value::from_bytes(text.as_bytes())),
        ("v.redacted", Value::Redacted(Redacted { redacted: "stringValue", length: 9 })),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

fn record(attributes: BTreeMap<&'static str, Value>, vendor_attributes: BTreeMap<String, Value>) -> CanonicalRecord {
    CanonicalRecord {
        kind: RecordKind::ToolCall,
        vendor: "test_vendor",
        session_id: Some("3f2b8c1e-9a4d-4e7b-b1c2-7d9e0f1a2b3c".to_owned()),
        time_unix_nano: Some(1_700_000_000_000_000_000),
        capture_mode: CaptureMode::default(),
        attributes,
        vendor_attributes,
        source: Some(SourceRef {
            file: "0003-logs.json".to_owned(),
            signal: Signal::Logs,
            locator: "resourceLogs[0].scopeLogs[0].logRecords[3]".to_owned(),
            name: "claude_code.tool_result".to_owned(),
        }),
        item: None,
        vendor_metadata: Default::default(),
    }
}

/// A record with every canonical key and every vendor value type, holding no secrets.
fn full_fixture() -> CanonicalRecord {
    record(canonical_attributes(|class| format!("{}-text", class.as_str())), vendor_attributes("vendor text"))
}

fn keys_of_class(class: Class) -> BTreeMap<&'static str, usize> {
    attributes::ALL.iter().filter(|it| it.class == class).map(|it| (it.key, 1)).collect()
}

#[test]
fn vendor_fixture_covers_every_value_variant() {
    let covered: BTreeSet<&str> = vendor_attributes("x").values().map(variant_name).collect();
    assert_eq!(covered, ALL_VARIANT_NAMES.into_iter().collect());
}

#[test]
fn full_keeps_every_key_and_value_and_stamps_the_mode() {
    let original = full_fixture();
    let mut record = original.clone();
    let report = privacy::apply(CaptureMode::Full, &mut record);

    let mut expected = original;
    expected.capture_mode = CaptureMode::Full;
    expected.attributes.insert(attributes::CAPTURE_MODE, Value::Str("full".to_owned()));
    assert_eq!(record, expected);
    assert_eq!(report, PrivacyReport { records: 1, ..PrivacyReport::default() });
}

#[test]
fn metadata_only_removes_content_and_reduces_vendor_text_to_type_and_length() {
    let original = full_fixture();
    let mut record = original.clone();
    let report = privacy::apply(CaptureMode::MetadataOnly, &mut record);

    let mut expected_attributes = original.attributes.clone();
    expected_attributes.retain(|key, _| attributes::spec(key).is_some_and(|it| it.class != Class::Content));
    expected_attributes.insert(attributes::CAPTURE_MODE, Value::Str("metadata_only".to_owned()));
    assert_eq!(record.attributes, expected_attributes);
    assert_eq!(record.capture_mode, CaptureMode::MetadataOnly);

    let redacted = |wire_type: &'static str, length: usize| Value::Redacted(Redacted { redacted: wire_type, length });
    let text_length = "vendor text".chars().count();
    let expected_vendor: BTreeMap<String, Value> = [
        ("v.str", redacted("stringValue", text_length)),
        ("v.int", Value::Int(3)),
        ("v.double", Value::Double(2.5)),
        ("v.bool", Value::Bool(false)),
        ("v.str_list", redacted("arrayValue", 2)),
        ("v.json_array", redacted("arrayValue", 3)),
        ("v.json_map", redacted("kvlistValue", 3)),
        ("v.json_string", redacted("stringValue", text_length)),
        ("v.json_number", Value::Json(json!(5))),
        ("v.json_bool", Value::Json(json!(true))),
        ("v.json_null", Value::Json(serde_json::Value::Null)),
        ("resource.v.bytes", redacted("bytesValue", "vendor text".len())),
        ("v.redacted", redacted("stringValue", 9)),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    assert_eq!(record.vendor_attributes, expected_vendor);

    let reduced: BTreeMap<String, usize> =
        ["v.str", "v.str_list", "v.json_array", "v.json_map", "v.json_string", "resource.v.bytes"]
            .into_iter()
            .map(|key| (key.to_owned(), 1))
            .collect();
    let expected_report = PrivacyReport {
        records: 1,
        content_keys_removed: keys_of_class(Class::Content),
        vendor_attributes_reduced: reduced,
        ..PrivacyReport::default()
    };
    assert_eq!(report, expected_report);
    assert_eq!(report.vendor_attributes_reduced_total(), 6);
}

#[test]
fn minimal_keeps_only_metadata_and_no_vendor_attributes() {
    let original = full_fixture();
    let mut record = original.clone();
    let report = privacy::apply(CaptureMode::Minimal, &mut record);

    let mut expected_attributes = original.attributes.clone();
    expected_attributes.retain(|key, _| attributes::spec(key).is_some_and(|it| it.class == Class::Metadata));
    expected_attributes.insert(attributes::CAPTURE_MODE, Value::Str("minimal".to_owned()));
    assert_eq!(record.attributes, expected_attributes);
    assert!(record.vendor_attributes.is_empty());
    assert_eq!(record.capture_mode, CaptureMode::Minimal);
    // Top-level fields are metadata and stay.
    assert_eq!(record.session_id, original.session_id);
    assert_eq!(record.source, original.source);
    assert_eq!(record.time_unix_nano, original.time_unix_nano);

    let expected_report = PrivacyReport {
        records: 1,
        content_keys_removed: keys_of_class(Class::Content),
        identity_keys_removed: keys_of_class(Class::Identity),
        vendor_attributes_removed: original.vendor_attributes.keys().map(|key| (key.clone(), 1)).collect(),
        ..PrivacyReport::default()
    };
    assert_eq!(report, expected_report);
    assert_eq!(report.vendor_attributes_removed_total(), 13);
}

#[test]
fn every_mode_keeps_exactly_the_classes_it_allows() {
    for mode in CaptureMode::ALL {
        let mut record = full_fixture();
        privacy::apply(mode, &mut record);
        for spec in attributes::ALL {
            assert_eq!(
                record.attributes.contains_key(spec.key),
                privacy::keeps_class(mode, spec.class) || spec.key == attributes::CAPTURE_MODE,
                "{mode:?} {}",
                spec.key
            );
        }
    }
}

#[test]
fn keys_unknown_to_the_schema_are_treated_as_content() {
    for (mode, kept) in [(CaptureMode::Full, true), (CaptureMode::MetadataOnly, false), (CaptureMode::Minimal, false)] {
        let mut attributes = BTreeMap::new();
        attributes.insert("coding_agent.not_in_schema", Value::Str("text".to_owned()));
        let mut record = record(attributes, BTreeMap::new());
        let report = privacy::apply(mode, &mut record);
        assert_eq!(record.attributes.contains_key("coding_agent.not_in_schema"), kept, "{mode:?}");
        assert_eq!(report.unknown_keys_removed.contains_key("coding_agent.not_in_schema"), !kept, "{mode:?}");
    }
}

#[test]
fn the_mode_stamp_replaces_a_stale_one() {
    let mut attributes = BTreeMap::new();
    attributes.insert(attributes::CAPTURE_MODE, Value::Str("full".to_owned()));
    let mut record = record(attributes, BTreeMap::new());
    record.capture_mode = CaptureMode::Full;
    privacy::apply(CaptureMode::Minimal, &mut record);
    assert_eq!(record.capture_mode, CaptureMode::Minimal);
    assert_eq!(record.attributes.get(attributes::CAPTURE_MODE), Some(&Value::Str("minimal".to_owned())));
}

#[test]
fn vendor_values_under_secret_keys_are_redacted_in_full_mode() {
    let mut vendor = BTreeMap::new();
    vendor.insert("db.password".to_owned(), Value::Str("hunter2".to_owned()));
    vendor.insert("max_tokens".to_owned(), Value::Str("4096".to_owned()));
    vendor.insert("headers".to_owned(), Value::Json(json!({"x-api-key": "abc", "accept": "json"})));
    let mut record = record(BTreeMap::new(), vendor);
    let report = privacy::apply(CaptureMode::Full, &mut record);
    let placeholder = SecretKind::SecretAssignment.placeholder();
    assert_eq!(record.vendor_attributes.get("db.password"), Some(&Value::Str(placeholder.to_owned())));
    assert_eq!(record.vendor_attributes.get("max_tokens"), Some(&Value::Str("4096".to_owned())));
    assert_eq!(
        record.vendor_attributes.get("headers"),
        Some(&Value::Json(json!({"x-api-key": placeholder, "accept": "json"})))
    );
    assert_eq!(report.secrets_scrubbed.get(&SecretKind::SecretAssignment), Some(&2));
}

#[test]
fn apply_all_merges_the_reports_of_every_record() {
    let mut records = vec![full_fixture(), full_fixture()];
    let report = privacy::apply_all(CaptureMode::MetadataOnly, &mut records);
    assert_eq!(report.records, 2);
    assert!(report.content_keys_removed.values().all(|count| *count == 2));
    assert_eq!(report.vendor_attributes_reduced_total(), 12);
    assert!(records.iter().all(|it| it.capture_mode == CaptureMode::MetadataOnly));
}

// ------------------------------------------------------------------------------------------------
// Canaries and planted secrets
// ------------------------------------------------------------------------------------------------

const CANARY: &str = "CANARY-7f3a";

/// Fake secrets planted next to the canaries; none may survive any mode.
fn planted_secrets() -> [&'static str; 4] {
    [ANTHROPIC_KEY, AWS_ACCESS_KEY_ID, "ghp_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78", JWT]
}

/// Canaries (with secrets) in every Content key and every vendor value; secrets alone in every
/// Metadata and Identity string, and in the session id.
fn canary_fixture() -> CanonicalRecord {
    let secrets = planted_secrets().join(" ");
    let attributes = canonical_attributes(|class| match class {
        Class::Content => format!("{CANARY} prompt text {secrets}"),
        Class::Metadata | Class::Identity => format!("meta {secrets}"),
    });
    let mut record = record(attributes, vendor_attributes(&format!("{CANARY} vendor {secrets}")));
    record.session_id = Some(format!("session {AWS_ACCESS_KEY_ID}"));
    record
}

fn serialized(record: &CanonicalRecord, report: &PrivacyReport) -> (String, String) {
    let record = serde_json::to_string(record);
    let report = serde_json::to_string(report);
    assert!(record.is_ok() && report.is_ok());
    (record.unwrap_or_default(), report.unwrap_or_default())
}

#[test]
fn canaries_never_survive_metadata_only_or_minimal() {
    for mode in [CaptureMode::MetadataOnly, CaptureMode::Minimal] {
        let mut record = canary_fixture();
        let report = privacy::apply(mode, &mut record);
        let (record_json, report_json) = serialized(&record, &report);
        assert!(!record_json.contains(CANARY), "{mode:?}: {record_json}");
        assert!(!report_json.contains(CANARY), "{mode:?}: {report_json}");
        for secret in planted_secrets() {
            assert!(!record_json.contains(secret), "{mode:?} leaked {secret}: {record_json}");
            assert!(!report_json.contains(secret), "{mode:?} report leaked {secret}");
        }
    }
}

#[test]
fn full_keeps_canaries_but_scrubs_planted_secrets() {
    let mut record = canary_fixture();
    let report = privacy::apply(CaptureMode::Full, &mut record);
    let (record_json, report_json) = serialized(&record, &report);
    assert!(record_json.contains(CANARY));
    for key in [attributes::PROMPT_TEXT, attributes::TOOL_ARGUMENTS, attributes::SHELL_COMMAND] {
        let kept = record.attributes.get(key).and_then(|it| match it {
            Value::Str(text) => Some(text.contains(CANARY)),
            _ => None,
        });
        assert_eq!(kept, Some(true), "{key}");
    }
    for secret in planted_secrets() {
        assert!(!record_json.contains(secret), "full leaked {secret}: {record_json}");
        assert!(!report_json.contains(secret), "full report leaked {secret}");
    }
    assert!(!report_json.contains(CANARY));
    for kind in [SecretKind::AnthropicApiKey, SecretKind::AwsAccessKeyId, SecretKind::GithubToken, SecretKind::Jwt] {
        assert!(report.secrets_scrubbed.get(&kind).is_some_and(|count| *count > 0), "{kind:?}");
    }
}

// ------------------------------------------------------------------------------------------------
// Determinism
// ------------------------------------------------------------------------------------------------

#[test]
fn applying_a_mode_twice_equals_applying_it_once() {
    for mode in CaptureMode::ALL {
        let mut once = canary_fixture();
        privacy::apply(mode, &mut once);
        let mut twice = once.clone();
        let second_report = privacy::apply(mode, &mut twice);
        assert_eq!(twice, once, "{mode:?}");
        assert_eq!(second_report, PrivacyReport { records: 1, ..PrivacyReport::default() }, "{mode:?}");
    }
}

#[test]
fn the_same_input_always_gives_the_same_output() {
    for mode in CaptureMode::ALL {
        let mut first = canary_fixture();
        let mut second = canary_fixture();
        let first_report = privacy::apply(mode, &mut first);
        let second_report = privacy::apply(mode, &mut second);
        assert_eq!(first, second);
        assert_eq!(first_report, second_report);
    }
}

// ------------------------------------------------------------------------------------------------
// Throughput (run by hand: `cargo test --release --test it -- --ignored --nocapture throughput`)
// ------------------------------------------------------------------------------------------------

/// A vendor attribute key is kept as a name in `metadata_only`, but a key that reads as text
/// (a prompt, a command, a path with spaces) is withheld whole: scrubbing only removes
/// secrets. `full` keeps it (scrubbed), `minimal` drops every vendor attribute anyway.
#[test]
fn metadata_only_withholds_vendor_keys_that_read_as_text() {
    let text_key = "cat /home/me/notes CANARY-key-1.txt";
    let long_key = format!("k{}", "x".repeat(128));
    let vendor: BTreeMap<String, Value> = [
        ("gen_ai.request.model".to_owned(), Value::Str("m".to_owned())),
        ("resource.http.response.header.x-request-id".to_owned(), Value::Int(1)),
        (text_key.to_owned(), Value::Int(2)),
        ("\"quoted\"".to_owned(), Value::Str("v".to_owned())),
        (long_key.clone(), Value::Bool(true)),
    ]
    .into_iter()
    .collect();
    let mut record = record(BTreeMap::new(), vendor.clone());
    let report = privacy::apply(CaptureMode::MetadataOnly, &mut record);
    let keys: Vec<&str> = record.vendor_attributes.keys().map(String::as_str).collect();
    // In key order: `"quoted"`, then the command, then the long key are withheld 1, 2 and 3.
    assert_eq!(
        keys,
        ["gen_ai.request.model", "resource.http.response.header.x-request-id", "withheld_key.1", "withheld_key.2", "withheld_key.3"]
    );
    assert_eq!(record.vendor_attributes["withheld_key.2"], Value::Int(2), "the value is treated as any other");
    assert_eq!(record.vendor_attributes["withheld_key.1"], Value::Redacted(Redacted { redacted: "stringValue", length: 1 }));
    assert_eq!(report.vendor_keys_withheld, 3);
    assert!(!serde_json::to_string(&record).unwrap_or_default().contains("CANARY"));
    assert!(!serde_json::to_string(&report.vendor_attributes_reduced).unwrap_or_default().contains("quoted"));

    let mut full = self::record(BTreeMap::new(), vendor);
    let report = privacy::apply(CaptureMode::Full, &mut full);
    assert!(full.vendor_attributes.contains_key(text_key) && full.vendor_attributes.contains_key(&long_key));
    assert_eq!(report.vendor_keys_withheld, 0);

    assert!(privacy::looks_like_a_name("claude_code.tool.parameters[0]"));
    assert!(privacy::looks_like_a_name("ユーザー.名前"), "letters of any script are a name");
    assert!(!privacy::looks_like_a_name("a b"));
    assert!(!privacy::looks_like_a_name("a=b"));
}
