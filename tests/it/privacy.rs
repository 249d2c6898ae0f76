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
    let mut cases = vec![
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
    ];
    cases.extend(vendor_token_cases());
    cases.extend(contextual_cases());
    cases
}

/// One fake but well-formed token per vendor pattern (random bodies of the documented length).
fn vendor_tokens() -> Vec<(SecretKind, &'static str)> {
    use SecretKind::*;
    vec![
        (PrivateKey, "AGE-SECRET-KEY-14GUQJTHMZ6D3TGTWTV99L3TDGVNVQY6RK4JL9Q67G30THZ2HQKUY8K05CR"),
        (OpenrouterApiKey, "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"),
        (GroqApiKey, "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"),
        (XaiApiKey, "xai-XsiVpzz63FfkCzJr4i0B3JrTAwR4y9ojfljoQoaF1LlqsajAIxNKu8iS2G8NPRVdD53X83RZJzzzzgEO"),
        (PerplexityApiKey, "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"),
        (ReplicateApiToken, "r8_qE1SkHbn88HxjSI6bWHtP3fS2qHx6kwXoIIXG"),
        (LangsmithApiKey, "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"),
        (TavilyApiKey, "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"),
        (GitlabToken, "glcbt-64_Ab12Cd34Ef56Gh78Ij90Kl"),
        (HuggingFaceToken, "api_org_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"),
        (PypiToken, "pypi-AgEIcHlwaS5vcmcnr3yBdGBLEPH1qhT61qtc4xatws8phP9nhFyJfm5di4PzJ59FHz5r1pY4OjE2jBMptUsGr"),
        (RubygemsApiKey, "rubygems_e73cf575dcad6ba2b0aee0ca923732881584d8c4fa2815d2"),
        (DockerHubToken, "dckr_pat_IclHkCiHp6bR1IqfEouHgxzNNAL"),
        (SendgridApiKey, "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"),
        (BrevoApiKey, "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"),
        (TwilioApiKey, "SK3692f09e2e8c662248b483b7ffc050fe"),
        (DigitaloceanToken, "dop_v1_c94dbca3a0aac36098b2cc2bd818319478da6bd0c621de49f145fda9988c79fc"),
        (ShopifyToken, "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"),
        (SquareToken, "sq0atp-JUqBlIFXZ53Ncqe28_ajYw"),
        (DatabricksToken, "dapiee737443e210471948d33296c87009e8"),
        (LinearApiKey, "lin_api_9uP14pEHpJpb9ATPtdbmF4RPAfqoQB7xoFcSvTAx"),
        (NotionToken, "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"),
        (PostmanApiKey, "PMAK-cea325a65e19cbae530282bd-36cb9d21f6be6abf0d7c1c1e21862ab8a1"),
        (
            AtlassianToken,
            "ATATT3xFfGF0HOJMaidDn87XG3-q-xbMtEPO6UkzYuF0ie9Pu2njHkAm1-5wDr16EpLLJIVGHz4FxFEtKyPiYGFDm7ena8D5VfLDpgyyjVw5HanSBeVRsfAGeAbP0VxNjAe-9i0mYtluYI0KN1gNT11cUzYZAa3u2olZU6uqbgsYlVvsSKuvin=1A2B3C4D",
        ),
        (GrafanaToken, "glc_yFWZY9Zmti18c6EudM7Oyf5TNS05kOY2oNzN2m1ElKncz8HkywhjpU05mc4J"),
        (NewrelicKey, "NRAK-CUHY39T0TP1YX262LBA53P23L4Z"),
        (SentryToken, "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"),
        (
            DynatraceToken,
            "dt0c01.VF2OLDS7QTUACOJS106XDI5O.CBDAWTG7W8O0TINX4KIAPJ2GEJRZQAD9W275PKACD8BZLPKDGA9MJ0M760L6TETD",
        ),
        (VaultToken, "hvs.CAESIJ9aW37k5wCnHDepQHgI3HLBkbvHEzuPyXQEW88ad3DNBYjvsedonuSsddfrfifiUziXnFAAoeelK9mqmALOR2Hc"),
        (TerraformCloudToken, "TWx6uX9MGE2sNV.atlasv1.d0d3mS8gBlKv3azKgaS_m_x-SHuKBD-vok_nPTmZYl2dVAMH2vWD6qeSPt5Pv74GDqQ"),
        (PulumiToken, "pul-e7689447ab57a683536c4499d863386ce10cd79e"),
        (DopplerToken, "dp.pt.bjqMVzaVp62BSKLVPA2oQUP44XPSL2oRlPhDBuqOSg5"),
        (
            OnepasswordToken,
            "ops_eyJApYzTTOkq2BEDbN2AHRQ73l5PuXay1F6gcqInkTY88mHwg2KDInTEGbOY1xHvAV8DnRlzGW7hUNwOdqryzdaeA6AOSRwLqgotVz89HoZ9zDnki7XeZZOmEPJUo09jwQO10Y0ADsWJPiX1EwY2orTyRqBRlEaZUZrwp",
        ),
        (FlyioToken, "fo1_Dr8-h97s_F-vauP7-L7V21jxUdcfQm9_seB1qRmUR8A"),
        (HerokuApiKey, "HRKU-AAK3R2GgLLT-ZQISA-pQyOMqlfZZgZMnafy8hWskBf6wmxe1mbVrNHMx1eOc"),
        (SupabaseKey, "sbp_d1f13dce20c4fd32f640d0032634f087e51b429f"),
        (PlanetscaleToken, "pscale_tkn_DQ74q69dTcada4PR0NfyttUMk931FMdux8KUCERkj9Z"),
        (OpenshiftToken, "sha256~oUu19X5IQLJhQbtN2FWXWD5KaPHI2ufKssJ-Sk_WzDN"),
        (GoogleOauthClientSecret, "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"),
        (
            GoogleOauthToken,
            "ya29.a0f-VnV7ktOdSJcmeA_BHJ2m5qGeRzxWkdgeV6_iYplGODlYx5uVECweGThdgH9hmsOazM4n8PVGXpV9Wv4Esb7yeuCjVr5mXcj5RPD9",
        ),
        (GoogleOauthToken, "1//0gAbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEfGhIjKlMnOp"),
        (AzureClientSecret, "K1s8Q~QvH_nO69ot-hB9KpGzU3HEEmXL1uhLsc4."),
        (SlackToken, "xapp-1-A0123ABCD-1234567890123-abcdef0123456789abcdef0123456789"),
    ]
}

/// Each vendor token in prose, a JSON string, JSON escaped inside JSON, an env assignment and a
/// URL query: the token alone is replaced, with its vendor's kind, and the text around it stays.
fn vendor_token_cases() -> Vec<Case> {
    let contexts: [(&str, &str); 5] = [
        ("use ", " for the deploy."),
        ("{\"value\": \"", "\", \"n\": 1}"),
        ("{\"input\":\"{\\\"value\\\":\\\"", "\\\"}\"}"),
        ("export VENDOR_CONFIG=", "; ./run.sh"),
        ("GET https://api.example.com/v1/items?key=", "&page=2"),
    ];
    let mut cases = Vec::new();
    for (kind, token) in vendor_tokens() {
        for (before, after) in contexts {
            cases.push(positive(format!("{before}{token}{after}"), format!("{before}{}{after}", kind.placeholder()), &[(kind, 1)]));
        }
    }
    cases
}

/// Credentials whose pattern needs the text around them: connection strings, signed URLs,
/// webhook URLs, and values under the secret names added with the vendor patterns.
fn contextual_cases() -> Vec<Case> {
    use SecretKind::*;
    let account_key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    vec![
        positive(
            format!("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={account_key};EndpointSuffix=core.windows.net"),
            "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED:azure_access_key];EndpointSuffix=core.windows.net",
            &[(AzureAccessKey, 1)],
        ),
        positive(
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=2nTpzuB3Gp1QWqHdrvZX0F9ZcE7xNq5hBmRkY8gTQ4o=",
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=[REDACTED:azure_access_key]",
            &[(AzureAccessKey, 1)],
        ),
        positive(
            "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&spr=https&sig=Xk2Fq9tLmN3pR7sV1wY5zA8bC4dE6fG0hJ%2BkL2mN4pQ%3D",
            "https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&se=2026-01-01T00:00:00Z&spr=https&sig=[REDACTED:url_signature]",
            &[(UrlSignature, 1)],
        ),
        positive(
            "{\"url\":\"https://b.s3.amazonaws.com/k?X-Amz-Date=20250101T000000Z\\u0026X-Amz-Signature=9f0e5c1d7a3b8e2f4c6d0a1b3e5f7c9d2a4b6c8e0f1a3b5c7d9e1f2a4b6c8d0e\"}",
            "{\"url\":\"https://b.s3.amazonaws.com/k?X-Amz-Date=20250101T000000Z\\u0026X-Amz-Signature=[REDACTED:url_signature]\"}",
            &[(UrlSignature, 1)],
        ),
        positive(
            "curl -X POST -d @msg.json https://hooks.slack.com/services/T024BE7LD/B01234567/abcDEF123ghiJKL456mnoPQR",
            "curl -X POST -d @msg.json https://hooks.slack.com/services/[REDACTED:webhook_token]",
            &[(WebhookToken, 1)],
        ),
        positive(
            "\"https://discord.com/api/webhooks/123456789012345678/AbC-dEf_123GhI456jKl789MnO012pQr345StU678vWx901YzA234bCd567eFg890hIj\"",
            "\"https://discord.com/api/webhooks/123456789012345678/[REDACTED:webhook_token]\"",
            &[(WebhookToken, 1)],
        ),
        positive(
            "SLACK_REFRESH=xoxe-1-My0xLTEyMzQ1Njc4OTAxMjM0LTk4NzY1NDMyMTAtYWJjZGVm",
            "SLACK_REFRESH=[REDACTED:slack_token]",
            &[(SlackToken, 1)],
        ),
        positive(
            "vault login hvs.6j4cuewowBGit65rheNoceI7",
            "vault login [REDACTED:vault_token]",
            &[(VaultToken, 1)],
        ),
        positive(
            "DOPPLER_TOKEN_FILE has dp.st.dev_api.Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90Uv12",
            "DOPPLER_TOKEN_FILE has [REDACTED:doppler_token]",
            &[(DopplerToken, 1)],
        ),
        positive(
            "glsa_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56_0a1b2c3d and eyJrIjoiT0tTcGFjMThLMkZZMkw0T0p0NnZ2Z0wyNFhXNzJ5dzMiLCJuIjoidGVzdCIsImlkIjoxfQ==",
            "[REDACTED:grafana_token] and [REDACTED:grafana_token]",
            &[(GrafanaToken, 2)],
        ),
        positive(
            "NEW_RELIC_LICENSE_KEY eu01xx0a1b2c3d4e5f60718293a4b5c6d7e8NRAL; NRII-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56",
            "NEW_RELIC_LICENSE_KEY [REDACTED:newrelic_key]; [REDACTED:newrelic_key]",
            &[(NewrelicKey, 2)],
        ),
        positive(
            "SECRET_KEY=django-insecure-7h1s1s4t3st ENCRYPTION_KEY='0a1b2c3d' OPENAI_KEY=abc123def",
            "SECRET_KEY=[REDACTED:secret_assignment] ENCRYPTION_KEY='[REDACTED:secret_assignment]' OPENAI_KEY=[REDACTED:secret_assignment]",
            &[(SecretAssignment, 3)],
        ),
        positive(
            "{\"signingKey\": \"k-778\", \"accountKey\": \"acct-key-1\", \"connectionString\": \"Server=db;Database=app\"}",
            "{\"signingKey\": \"[REDACTED:secret_assignment]\", \"accountKey\": \"[REDACTED:secret_assignment]\", \"connectionString\": \"[REDACTED:secret_assignment]\"}",
            &[(SecretAssignment, 3)],
        ),
        positive(
            "MYSQL_PWD=hunter2 mysql -u root\nCookie: sessionid=8f2kq9x1ab",
            "MYSQL_PWD=[REDACTED:secret_assignment] mysql -u root\nCookie: [REDACTED:secret_assignment]",
            &[(SecretAssignment, 2)],
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
        // Near misses of the vendor prefixes: prose, identifiers, wrong lengths, hex ids.
        "The skill uses a SKU list; ask the task runner, then sk_count += 1",
        "SK3692f09e2e8c662248b483b7ffc050f",
        "SK3692f09e2e8c662248b483b7ffc050fe0",
        "TASK3692f09e2e8c662248b483b7ffc050fe",
        "sk3692f09e2e8c662248b483b7ffc050fe",
        "dapiee737443e210471948d33296c87009e",
        "dapi_version=2 and dapi-client",
        "dop_v1_c94dbca3a0aac36098b2cc2bd818319478da6bd0c621de49f145fda9988c79f",
        "shpat_35526f7eaed46725a2a7b860dcd6c8a",
        "pul-e7689447ab57a683536c4499d863386ce10cd79",
        "pull-request and pul-ses",
        "SG.abc.def and msg.content.length",
        "gsk_short and gsk_all_lower_case_words_joined_by_underscores",
        "xai-grok-4-fast-reasoning and xai-org-settings",
        "gsk_abcdefghijklmnopqrstuvwxyzabcdefghijkl",
        "pplx-api and pplx-7b-online",
        "r8_abc and r8_regression",
        "lin_api_short and lin_reg_model",
        "PMAK-0a1b2c",
        "glc_short and glsa_short",
        "NRAK-SHORT",
        "sntryu_0a1b2c",
        "hvs.short and hvs.abcdefghijklmnopqrstuvwxyzabcdef",
        "dp.append(x) and dp.st.dev",
        "pypi-AgEshort",
        "AGE-SECRET-KEY-1SHORT",
        "ATATT3short and ATBB",
        "AccountKey=$AZURE_KEY and AccountName=myaccount",
        "?sig=abc&signal=12345678901234567890",
        "a Q~ b and c8Q~d",
        "ya29.short and 1//0 in Python raises ZeroDivisionError",
        "sk-or-v1-short",
        "tvly-short and dckr_pat_short and sha256~short and ops_eyJshort",
        "https://hooks.slack.com/services/ and discord.com/api/webhooks/",
        "secret_manager_access_for_production_clusters",
        "primary_key=id cache_key=abc123 sort_key=ts42 PWD=/tmp OLDPWD=/home/me",
        // Base64 of ordinary text, a UUID and hex digests.
        "VGhpcyBpcyBvcmRpbmFyeSB0ZXh0LCBub3QgYSBzZWNyZXQgYXQgYWxsLg==",
        "0af76519-16cd-43dd-8448-eb211c80319c",
        "sha256:9f0e5c1d7a3b8e2f4c6d0a1b3e5f7c9d2a4b6c8e0f1a3b5c7d9e1f2a4b6c8d0e",
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

/// The scrub memo remembers plain vendor keys and skips their checks on later records; a
/// record whose key is renamed is rebuilt. Neither may change what a mode keeps: three equal
/// records come out equal, in every mode, with the keys before and after a renamed one
/// filtered like any other.
#[test]
fn plain_keys_remembered_and_renamed_keys_change_nothing_a_mode_keeps() {
    let secret_key = "sk-ant-api03-Zq8vN2xWcR5tY7uI9oP1aS3dF6gH8jK0lL2zX4cV6bN8mQ1wE3rT5yU7iO9pA2sD4fG6hJ8kL0zX2cV4bN6mQ8wE0r";
    // In key order: two plain keys, the secret key (renamed by scrubbing), a text key
    // (withheld in `metadata_only`).
    let vendor: BTreeMap<String, Value> = [
        ("db.password", "hunter2hunter2"),
        ("gen_ai.request.model", "gpt-5"),
        (secret_key, "y"),
        ("zz key with spaces", "x"),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), Value::Str(value.to_owned())))
    .collect();
    for mode in [CaptureMode::Full, CaptureMode::MetadataOnly, CaptureMode::Minimal] {
        let mut records = vec![record(BTreeMap::new(), vendor.clone()); 3];
        let report = privacy::apply_all(mode, &mut records);
        assert_eq!(records[0], records[1], "{mode:?}");
        assert_eq!(records[1], records[2], "{mode:?}");
        let kept = &records[2].vendor_attributes;
        assert!(!kept.keys().any(|it| it.contains("Zq8vN2xW")), "{mode:?}: {kept:?}");
        match mode {
            CaptureMode::Full => {
                assert_eq!(kept["db.password"], Value::Str(SecretKind::SecretAssignment.placeholder().to_owned()));
                assert_eq!(kept["gen_ai.request.model"], Value::Str("gpt-5".to_owned()));
                assert!(kept.contains_key("[REDACTED:anthropic_api_key]") && kept.contains_key("zz key with spaces"));
            }
            CaptureMode::MetadataOnly => {
                for key in ["db.password", "gen_ai.request.model", "[REDACTED:anthropic_api_key]", "withheld_key.1"] {
                    assert!(matches!(kept.get(key), Some(Value::Redacted(_))), "{key}: {kept:?}");
                }
                assert_eq!(report.vendor_keys_withheld, 3);
            }
            CaptureMode::Minimal => assert!(kept.is_empty(), "{kept:?}"),
        }
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
