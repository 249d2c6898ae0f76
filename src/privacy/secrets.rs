//! The secret scrubber: finds credentials in free text and replaces each with `[REDACTED:<kind>]`.
//!
//! It runs in every capture mode over every string that survives privacy, because a secret
//! pasted into a prompt, echoed by a tool or sent in a vendor attribute must never reach the
//! output, not even in `full` mode.
//!
//! Design:
//! - Each pattern is a regex with an optional group named `secret…`: only that group is
//!   replaced, so the surrounding text (`DB_PASSWORD=`, `https://user:`…`@host`, the quotes of a
//!   JSON value) stays readable. Without such a group the whole match is the secret.
//! - Patterns are compiled once ([`LazyLock`]); a [`RegexSet`] over all of them decides in one
//!   pass whether a string needs any work, so ordinary text costs a single scan.
//! - Patterns run in table order, most specific first: an Anthropic key inside a URL is reported
//!   as `anthropic_api_key`, not `url_password`. Later patterns skip values that are already
//!   placeholders, which also makes scrubbing idempotent.
//! - Some shapes are too loose for a regex alone (`Bearer <word>`, `Basic <base64>`, `sk-<slug>`);
//!   a check on the candidate (looks random, decodes to `user:password`) keeps prose intact.
//! - Word boundaries are ASCII (`(?-u:\b)`): Unicode boundaries force the regex engine off its
//!   fast DFA as soon as a prompt holds non-ASCII text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::{AhoCorasick, AhoCorasickKind};
use base64::Engine as _;
use regex::{Captures, Regex, RegexSet, RegexSetBuilder};
use serde::Serialize;

/// How many secrets of each kind were replaced.
pub type SecretCounts = BTreeMap<SecretKind, usize>;

/// Declares [`SecretKind`] once, so its name, placeholder and `ALL` cannot drift apart.
macro_rules! secret_kinds {
    ($($(#[doc = $doc:literal])* $variant:ident => $name:literal,)*) => {
        /// What kind of secret a placeholder replaced; its name appears in `[REDACTED:<name>]`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum SecretKind {
            $($(#[doc = $doc])* $variant,)*
        }

        impl SecretKind {
            /// Every kind, in the order the scrubber tries them.
            pub const ALL: &'static [SecretKind] = &[$(SecretKind::$variant,)*];

            /// The snake_case name used in placeholders and reports.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(SecretKind::$variant => $name,)*
                }
            }

            /// The text that replaces a secret of this kind: `[REDACTED:<name>]`.
            pub fn placeholder(self) -> &'static str {
                match self {
                    $(SecretKind::$variant => concat!("[REDACTED:", $name, "]"),)*
                }
            }
        }
    };
}

secret_kinds! {
    /// A PEM private key block (`-----BEGIN … PRIVATE KEY-----` to its `END` line, or to the end
    /// of the base64 body when the text was truncated before the `END` line), or an age secret
    /// key (`AGE-SECRET-KEY-1` + 58 bech32 characters).
    PrivateKey => "private_key",
    /// An Anthropic API or OAuth key (`sk-ant-…`).
    AnthropicApiKey => "anthropic_api_key",
    /// An OpenRouter API key (`sk-or-v1-` + 64 hex digits); tried before OpenAI's `sk-` shape,
    /// which it also has.
    OpenrouterApiKey => "openrouter_api_key",
    /// An OpenAI API key (`sk-…`, `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`).
    OpenaiApiKey => "openai_api_key",
    /// A Groq API key (`gsk_` + 52 letters and digits).
    GroqApiKey => "groq_api_key",
    /// An xAI API key (`xai-` + 80 letters and digits).
    XaiApiKey => "xai_api_key",
    /// A Perplexity API key (`pplx-` + 48 letters and digits).
    PerplexityApiKey => "perplexity_api_key",
    /// A Replicate API token (`r8_` + 37 letters and digits).
    ReplicateApiToken => "replicate_api_token",
    /// A LangSmith API key (`lsv2_pt_`/`lsv2_sk_` + 32 hex digits, `_`, 10 hex digits).
    LangsmithApiKey => "langsmith_api_key",
    /// A Tavily API key (`tvly-`, optionally `dev-`/`prod-`, + 32 letters and digits).
    TavilyApiKey => "tavily_api_key",
    /// A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`).
    GithubToken => "github_token",
    /// A GitLab token (`glpat-` personal, `gldt-` deploy, `glptt-` trigger, `glrt-` runner,
    /// `glcbt-` CI job, `glft-` feed, `glimt-` mail, `glagent-` agent, `gloas-` OAuth app,
    /// `glsoat-` SCIM, `glffct-` feature flag, `GR1348941` runner registration).
    GitlabToken => "gitlab_token",
    /// A Stripe secret or restricted key (`sk_live_`, `sk_test_`, `rk_live_`, `rk_test_`) or
    /// webhook signing secret (`whsec_`); publishable `pk_` keys are public by design.
    StripeKey => "stripe_key",
    /// An npm access token (`npm_` + 36 letters and digits).
    NpmToken => "npm_token",
    /// A Hugging Face access or organization token (`hf_`/`api_org_` + 34 letters).
    HuggingFaceToken => "huggingface_token",
    /// A PyPI API token (`pypi-AgE…`, a macaroon for `pypi.org` or `test.pypi.org`).
    PypiToken => "pypi_token",
    /// A RubyGems API key (`rubygems_` + 48 hex digits).
    RubygemsApiKey => "rubygems_api_key",
    /// A Docker Hub personal or organization access token (`dckr_pat_`, `dckr_oat_`).
    DockerHubToken => "docker_hub_token",
    /// A SendGrid API key (`SG.` + 22 + `.` + 43 base64url characters).
    SendgridApiKey => "sendgrid_api_key",
    /// A Brevo (Sendinblue) API or SMTP key (`xkeysib-`/`xsmtpsib-` + 64 hex + `-` + 16).
    BrevoApiKey => "brevo_api_key",
    /// A Twilio API key secret id (`SK` + exactly 32 hex digits, a whole word).
    TwilioApiKey => "twilio_api_key",
    /// A DigitalOcean token (`dop_v1_` personal, `doo_v1_` OAuth, `dor_v1_` refresh + 64 hex).
    DigitaloceanToken => "digitalocean_token",
    /// A Shopify token (`shpat_`, `shpss_`, `shpca_`, `shppa_` + 32 hex digits).
    ShopifyToken => "shopify_token",
    /// A Square access token or OAuth secret (`sq0atp-`, `sq0csp-`).
    SquareToken => "square_token",
    /// A Databricks personal access token (`dapi` + 32 hex digits).
    DatabricksToken => "databricks_token",
    /// A Linear API key or OAuth token (`lin_api_`, `lin_oauth_`).
    LinearApiKey => "linear_api_key",
    /// A Notion integration token (`ntn_` + 11 digits + 35, or legacy `secret_` + 43).
    NotionToken => "notion_token",
    /// A Postman API key (`PMAK-` + 24 hex + `-` + 34 hex).
    PostmanApiKey => "postman_api_key",
    /// An Atlassian API token (`ATATT3…`) or Bitbucket app password (`ATBB…`).
    AtlassianToken => "atlassian_token",
    /// A Grafana Cloud token (`glc_`), service account token (`glsa_`) or legacy API key
    /// (`eyJrIjoi…`, base64 of `{"k":"`).
    GrafanaToken => "grafana_token",
    /// A New Relic user key (`NRAK-`), insert key (`NRII-`) or license key (40 letters and
    /// digits ending in `NRAL`).
    NewrelicKey => "newrelic_key",
    /// A Sentry organization or user auth token (`sntrys_`, `sntryu_`).
    SentryToken => "sentry_token",
    /// A Dynatrace API token (`dt0c01.` + 24 + `.` + 64).
    DynatraceToken => "dynatrace_token",
    /// A HashiCorp Vault service or batch token (`hvs.`, `hvb.`).
    VaultToken => "vault_token",
    /// A HashiCorp Terraform Cloud API token (`<14>.atlasv1.<60+>`).
    TerraformCloudToken => "terraform_cloud_token",
    /// A Pulumi access token (`pul-` + 40 hex digits).
    PulumiToken => "pulumi_token",
    /// A Doppler token (`dp.pt.`, `dp.st.`, `dp.ct.`, `dp.sa.`, `dp.scim.`, `dp.audit.`).
    DopplerToken => "doppler_token",
    /// A 1Password service account token (`ops_eyJ…`).
    OnepasswordToken => "onepassword_token",
    /// A Fly.io token (`fo1_`, `fm1a_`, `fm1r_`, `fm2_`).
    FlyioToken => "flyio_token",
    /// A Heroku API key (`HRKU-` + 60 characters).
    HerokuApiKey => "heroku_api_key",
    /// A Supabase personal access token (`sbp_` + 40 hex) or secret key (`sb_secret_`).
    SupabaseKey => "supabase_key",
    /// A PlanetScale token or password (`pscale_tkn_`, `pscale_pw_`, `pscale_oauth_`).
    PlanetscaleToken => "planetscale_token",
    /// An OpenShift user token (`sha256~` + 43 base64url characters).
    OpenshiftToken => "openshift_token",
    /// A Google OAuth client secret (`GOCSPX-` + 28 characters).
    GoogleOauthClientSecret => "google_oauth_client_secret",
    /// A Google OAuth access token (`ya29.…`) or refresh token (`1//0…`).
    GoogleOauthToken => "google_oauth_token",
    /// An AWS access key id (`AKIA…`/`ASIA…` + 16 or more uppercase letters or digits).
    AwsAccessKeyId => "aws_access_key_id",
    /// The value of an `aws_secret_access_key` (or `SecretAccessKey`) assignment.
    AwsSecretAccessKey => "aws_secret_access_key",
    /// A Google API key (`AIza…`).
    GoogleApiKey => "google_api_key",
    /// A Slack token (`xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`, `xoxe-`/`xoxe.xoxp-`
    /// configuration tokens, `xapp-` app-level tokens).
    SlackToken => "slack_token",
    /// The key of an Azure connection string (`AccountKey=…`, `SharedAccessKey=…`).
    AzureAccessKey => "azure_access_key",
    /// An Azure AD (Entra ID) client secret (`<3 characters><digit>Q~` + 31 to 34 characters).
    AzureClientSecret => "azure_client_secret",
    /// The signature of a signed URL, which grants access by itself: Azure SAS `sig=`, AWS
    /// `X-Amz-Signature=`, Google Cloud Storage `X-Goog-Signature=`.
    UrlSignature => "url_signature",
    /// The secret path of a Slack (`hooks.slack.com/services/…`) or Discord
    /// (`discord.com/api/webhooks/<id>/…`) incoming webhook URL.
    WebhookToken => "webhook_token",
    /// A JSON Web Token (`eyJ….eyJ….…`).
    Jwt => "jwt",
    /// The password of a URL with credentials (`scheme://user:password@host`).
    UrlPassword => "url_password",
    /// The token of a `Bearer <token>` authorization value.
    BearerToken => "bearer_token",
    /// The credentials of a `Basic <base64 of user:password>` authorization value.
    BasicAuth => "basic_auth",
    /// The value of a `password`/`secret`/`token`/`api_key`-like assignment (query string,
    /// env-style, JSON, YAML/header) or of a JSON/attribute key with such a name.
    SecretAssignment => "secret_assignment",
}

impl Serialize for SecretKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// Names that mark a value as a secret, shared by the assignment patterns and [`is_secret_key`]
/// so text and structured data agree. A name must *end* with one of these: `DB_PASSWORD` and
/// `x-api-key` qualify, `max_tokens`, `tokenizer` and `token_type` do not.
///
/// `key` alone is not a secret name (`primary_key`, `cache_key`, `sort_key`, `tool.key`), so
/// only keys a word before marks as secret count: `SECRET_KEY`, `SIGNING_KEY`,
/// `ENCRYPTION_KEY`, `MASTER_KEY`, Azure's `AccountKey`, and the `<vendor>_KEY` spellings of AI
/// provider keys (`OPENAI_KEY`, `ANTHROPIC_KEY`). `pwd` needs a word and a separator in front
/// (`MYSQL_PWD`, `db-pwd`), since the shell's `PWD` and `OLDPWD` hold directories (and so the
/// shortest assignment stays 7 bytes long, the floor below which text is not scanned).
const SECRET_NAME_SUFFIXES: &str = concat!(
    r"password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|authorization|credentials?",
    r"|(?:secret|signing|encryption|master|account)[_-]?key",
    r"|(?:openai|anthropic|gemini|groq|mistral|deepseek|openrouter|xai)_key",
    r"|[a-z0-9][_-]pwd|cookie|connection[_-]?string|connstr",
);

/// Text the value of a generic assignment can be: an existing placeholder (matched first, so a
/// second pass sees it whole and leaves it alone) or a run up to a delimiter of query strings,
/// shell, JSON-in-text and code (`&`, whitespace, quotes, `;`, `,`, closing brackets, `\`).
const UNQUOTED_VALUE: &str = r#"\[REDACTED:[a-z_]+\]|[^\s&"'`;,)}\]\\=][^\s&"'`;,)}\]\\]*"#;

/// One scrubber pattern before compilation.
struct PatternSpec {
    kind: SecretKind,
    regex: String,
    /// Extra check on the secret text, for what a regex cannot say ("contains a digit").
    accept: fn(&str) -> bool,
}

fn spec(kind: SecretKind, regex: impl Into<String>, accept: fn(&str) -> bool) -> PatternSpec {
    PatternSpec { kind, regex: regex.into(), accept }
}

/// The pattern table, most specific first (see the module doc for why order matters).
fn pattern_specs() -> Vec<PatternSpec> {
    let names = SECRET_NAME_SUFFIXES;
    vec![
        spec(
            SecretKind::PrivateKey,
            // The body is limited to what PEM and PGP armour hold (base64, `Proc-Type:`/`DEK-Info:`
            // and `Version: GnuPG v2.0.22 (GNU/Linux)` headers, real or `\n`-escaped line breaks),
            // so the search for END stops at the first other character (a quote, a brace) instead
            // of scanning the rest of the text for every BEGIN line.
            concat!(
                r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
                r"(?:[A-Za-z0-9+/=\s\\:,.()-]*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----",
                // No END line (truncated content): take the body up to where it stops.
                r"|[A-Za-z0-9+/=\s\\:,.()-]*)",
            ),
            always,
        ),
        // age's secret key is a private key too: bech32 after a fixed, uppercase prefix.
        spec(SecretKind::PrivateKey, "AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", always),
        // No word boundary in front: `sk-ant-` and 20 key characters are distinctive enough,
        // and a key glued to an identifier (`leak_sk-ant-…`, `TOKEN_sk-ant-…`) is still a key.
        spec(SecretKind::AnthropicApiKey, r"sk-ant-[A-Za-z0-9_-]{20,}", always),
        // Before OpenAI's pattern, which would take it as `sk-` + `or-v1-…`.
        spec(SecretKind::OpenrouterApiKey, r"sk-or-v[0-9]+-[A-Za-z0-9]{32,}", always),
        spec(
            SecretKind::OpenaiApiKey,
            r"(?-u:\b)sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
            openai_material_looks_random,
        ),
        // Vendor prefixes followed by long random runs. Where the body is only hex digits or
        // the prefix is short, its exact length and word boundaries on both sides keep ids,
        // slugs and words out (`dapi` + 31 hex digits, `SKU…`, `TASK…`); where a slug could
        // follow the prefix (`xai-grok-4`, `gsk_…`), the key must mix letters and digits.
        spec(SecretKind::GroqApiKey, r"(?-u:\b)gsk_[A-Za-z0-9]{32,}", looks_random),
        spec(SecretKind::XaiApiKey, r"(?-u:\b)xai-[A-Za-z0-9]{40,}", looks_random),
        spec(SecretKind::PerplexityApiKey, r"(?-u:\b)pplx-[A-Za-z0-9]{32,}", looks_random),
        spec(SecretKind::ReplicateApiToken, r"(?-u:\b)r8_[A-Za-z0-9]{30,}", looks_random),
        spec(SecretKind::LangsmithApiKey, r"(?-u:\b)lsv2_(?:pt|sk)_[A-Za-z0-9_]{32,}", looks_random),
        spec(SecretKind::TavilyApiKey, r"(?-u:\b)tvly-(?:dev-|prod-)?[A-Za-z0-9]{24,}", looks_random),
        spec(
            SecretKind::GithubToken,
            r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
            always,
        ),
        // No word boundary in front of the GitLab and Stripe prefixes, as for Anthropic's: they
        // are distinctive, and `KEY_sk_live_…` is still a key.
        spec(
            SecretKind::GitlabToken,
            r"(?:gl(?:pat|dt|ptt|rt|cbt|ft|imt|agent|oas|soat|ffct)-[A-Za-z0-9_-]{20,}|GR1348941[A-Za-z0-9_-]{20,})",
            always,
        ),
        spec(SecretKind::StripeKey, r"(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})", always),
        spec(SecretKind::NpmToken, r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)", always),
        spec(SecretKind::HuggingFaceToken, r"(?-u:\b)(?:hf|api_org)_[A-Za-z]{34}(?-u:\b)", always),
        spec(SecretKind::PypiToken, r"(?-u:\b)pypi-AgE[A-Za-z0-9_-]{50,}", always),
        spec(SecretKind::RubygemsApiKey, r"(?-u:\b)rubygems_[a-f0-9]{48}(?-u:\b)", always),
        spec(SecretKind::DockerHubToken, r"(?-u:\b)dckr_(?:pat|oat)_[A-Za-z0-9_-]{24,}", always),
        spec(SecretKind::SendgridApiKey, r"(?-u:\b)SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}", always),
        spec(SecretKind::BrevoApiKey, r"(?-u:\b)x(?:keysib|smtpsib)-[a-f0-9]{64}-[A-Za-z0-9]{16}(?-u:\b)", always),
        // Case-sensitive `SK`: `sk…`, `Sk…` and words such as `SKU`, `SKETCH` are not keys.
        spec(SecretKind::TwilioApiKey, r"(?-u:\b)SK[0-9a-fA-F]{32}(?-u:\b)", always),
        spec(SecretKind::DigitaloceanToken, r"(?-u:\b)do[opr]_v1_[a-f0-9]{64}(?-u:\b)", always),
        spec(SecretKind::ShopifyToken, r"(?-u:\b)shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}(?-u:\b)", always),
        spec(SecretKind::SquareToken, r"(?-u:\b)sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}", always),
        spec(SecretKind::DatabricksToken, r"(?-u:\b)dapi[a-f0-9]{32}(?:-[0-9])?(?-u:\b)", always),
        spec(SecretKind::LinearApiKey, r"(?-u:\b)lin_(?:api|oauth)_[A-Za-z0-9]{32,}", looks_random),
        spec(
            SecretKind::NotionToken,
            r"(?-u:\b)(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})(?-u:\b)",
            looks_random,
        ),
        spec(SecretKind::PostmanApiKey, r"(?-u:\b)PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}(?-u:\b)", always),
        spec(SecretKind::AtlassianToken, r"(?-u:\b)(?:ATATT3[A-Za-z0-9_=-]{32,}|ATBB[A-Za-z0-9]{28,})", looks_random),
        spec(
            SecretKind::GrafanaToken,
            r"(?-u:\b)(?:glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}(?-u:\b)|eyJrIjoi[A-Za-z0-9+/]{40,}={0,2})",
            always,
        ),
        spec(SecretKind::NewrelicKey, r"(?-u:\b)(?:NRAK-[A-Z0-9]{27}(?-u:\b)|NRII-[A-Za-z0-9_-]{32})", always),
        // Shapes with no literal in front (license keys end in `NRAL`, Terraform tokens hold
        // `.atlasv1.` after 14 characters, Azure client secrets `Q~` after 4) take the run before
        // the literal with `{3,}`/`+`/`*` and leave its length to the check (`{3,}` keeps the
        // shortest match at 7 bytes, the scan floor): a counted run of 36 there would
        // make the regex set's DFA count along every word of every text, which multiplied the
        // scrubber's cost on `full` captures.
        spec(SecretKind::NewrelicKey, r"(?-u:\b)[A-Za-z0-9]{3,}NRAL(?-u:\b)", is_newrelic_license_key),
        spec(SecretKind::SentryToken, r"(?-u:\b)(?:sntrys_[A-Za-z0-9+/=_]{40,}|sntryu_[a-f0-9]{64}(?-u:\b))", always),
        spec(SecretKind::DynatraceToken, r"(?-u:\b)dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}", always),
        spec(SecretKind::VaultToken, r"(?-u:\b)hv[sb]\.[A-Za-z0-9_-]{24,}", looks_random),
        spec(SecretKind::TerraformCloudToken, r"(?-u:\b)[A-Za-z0-9]+\.atlasv1\.[A-Za-z0-9_=-]{60,}", always),
        spec(SecretKind::PulumiToken, r"(?-u:\b)pul-[a-f0-9]{40}(?-u:\b)", always),
        // Service tokens name their config: `dp.st.<config>.<token>`.
        spec(
            SecretKind::DopplerToken,
            r"(?-u:\b)dp\.(?:pt|st|ct|sa|scim|audit)\.(?:[A-Za-z0-9_-]{1,64}\.)?[A-Za-z0-9]{40,}",
            always,
        ),
        spec(SecretKind::OnepasswordToken, r"(?-u:\b)ops_eyJ[A-Za-z0-9+/]{100,}={0,3}", always),
        spec(SecretKind::FlyioToken, r"(?-u:\b)(?:fo1_[A-Za-z0-9_-]{43}|fm(?:1[ar]|2)_[A-Za-z0-9+/]{100,}={0,3})", always),
        spec(SecretKind::HerokuApiKey, r"(?-u:\b)HRKU-[A-Za-z0-9_-]{30,}", always),
        spec(SecretKind::SupabaseKey, r"(?-u:\b)(?:sbp_[a-f0-9]{40}(?-u:\b)|sb_secret_[A-Za-z0-9_-]{20,})", always),
        spec(SecretKind::PlanetscaleToken, r"(?-u:\b)pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.=-]{32,}", always),
        spec(SecretKind::OpenshiftToken, r"(?-u:\b)sha256~[A-Za-z0-9_-]{43}", always),
        spec(SecretKind::GoogleOauthClientSecret, r"GOCSPX-[A-Za-z0-9_-]{24,}", always),
        // Access tokens are 100+ characters; the floor of 30 leaves short `ya29.` examples in
        // documentation to the Bearer pattern.
        spec(SecretKind::GoogleOauthToken, r"(?-u:\b)(?:ya29\.|1//0)[A-Za-z0-9_-]{30,}", always),
        // Real ids have exactly 16 characters after the prefix; longer runs are taken too, since
        // redacting an all-capitals `AKIA…` word costs nothing and a mangled key is still a key.
        spec(SecretKind::AwsAccessKeyId, r"(?-u:\b)(?:AKIA|ASIA)[A-Z0-9]{16,}(?-u:\b)", always),
        spec(
            SecretKind::AwsSecretAccessKey,
            // No boundary before the name: `MY_AWS_SECRET_ACCESS_KEY=` counts too.
            r#"(?i)(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)\\?["']?[ \t]*[=:][ \t]*\\?["']?(?P<secret>\[REDACTED:[a-z_]+\]|[A-Za-z0-9/+=]{40,})"#,
            always,
        ),
        spec(SecretKind::GoogleApiKey, r"(?-u:\b)AIza[0-9A-Za-z_-]{35}", always),
        spec(
            SecretKind::SlackToken,
            r"(?-u:\b)(?:xox[abprs]|xoxe\.xox[bp]|xoxe|xapp-[0-9])-[A-Za-z0-9-]{10,}",
            always,
        ),
        // Azure connection strings: `…;AccountKey=<base64>;…` (storage), `SharedAccessKey=`
        // (Service Bus, Event Hubs, IoT Hub). The value ends at `;` or a quote.
        spec(
            SecretKind::AzureAccessKey,
            r"(?i)(?-u:\b)(?:AccountKey|SharedAccessKey)[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/]{20,}={0,2})",
            always,
        ),
        // No boundary in front: the leading characters may be `.` or `~`. Three of them and a
        // digit come before `Q~` (see [`is_azure_client_secret`]).
        spec(SecretKind::AzureClientSecret, r"[A-Za-z0-9_~.]*[0-9]Q~[A-Za-z0-9_~.-]{31,34}", is_azure_client_secret),
        // A query parameter of a signed URL (`?`, `&`, `;` or a JSON-escaped `&`); URL-encoded
        // base64 (`%2B`, `%3D`) stays inside the value.
        spec(
            SecretKind::UrlSignature,
            r"(?i)(?:[?&;]|\\u0026)(?:sig|x-amz-signature|x-goog-signature)=(?P<secret>[A-Za-z0-9%+/_-]{16,}(?:=|%3D){0,2})",
            always,
        ),
        // The host and the Discord webhook id stay readable; the rest of the path is the secret.
        spec(
            SecretKind::WebhookToken,
            r"(?i)(?-u:\b)(?:hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9+/_-]{20,})|discord(?:app)?\.com/api/webhooks/[0-9]+/(?P<secret_discord>[A-Za-z0-9_-]{20,}))",
            always,
        ),
        spec(
            SecretKind::Jwt,
            r"(?-u:\b)eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
            always,
        ),
        spec(
            SecretKind::UrlPassword,
            // `?` and `#` end the authority, so `https://host:8080?x=@y` is not a credential. The
            // user excludes `[` because placeholders hold a `:`: `https://[REDACTED:x]@host` is done.
            r"(?-u:\b)[A-Za-z][A-Za-z0-9+.-]*://[^:@/?#\s\[]*:(?P<secret>[^@/?#\s]+)@",
            always,
        ),
        spec(
            SecretKind::BearerToken,
            r"(?i)(?-u:\b)bearer[ \t]+(?P<secret>[A-Za-z0-9._~+/-]{8,}=*)",
            looks_random,
        ),
        spec(
            SecretKind::BasicAuth,
            r"(?i)(?-u:\b)basic[ \t]+(?P<secret>[A-Za-z0-9+/]{6,}={0,2})",
            decodes_to_user_password,
        ),
        // JSON: `"password": "…"` (the value may contain escaped quotes).
        spec(
            SecretKind::SecretAssignment,
            format!(r#"(?i)"[A-Za-z0-9_.-]*?(?:{names})"\s*:\s*"(?P<secret>(?:[^"\\]|\\.)*)""#),
            is_concrete_value,
        ),
        // JSON inside a JSON string: `{\"password\": \"…\"}` (tool parameters, API bodies).
        spec(
            SecretKind::SecretAssignment,
            format!(r#"(?i)\\"[A-Za-z0-9_.-]*?(?:{names})\\"\s*:\s*\\"(?P<secret>(?:[^"\\]|\\[^"])*)\\""#),
            is_concrete_value,
        ),
        // Query strings, env files, shell and CLI flags: `token=…`, `DB_PASSWORD="…"`, `--api-key=…`.
        // No spaces around `=`, so code such as `token = getToken()` is left alone.
        spec(
            SecretKind::SecretAssignment,
            format!(
                r#"(?i)(?-u:\b)[A-Za-z0-9_.-]*?(?:{names})=(?:"(?P<secret_double>[^"\r\n]*)"|'(?P<secret_single>[^'\r\n]*)'|(?P<secret>{UNQUOTED_VALUE}))"#
            ),
            is_concrete_value,
        ),
        // YAML and HTTP headers: `password: …`, `x-api-key: …`. Prose uses `name: word` too, so
        // only values that look like key material count.
        spec(
            SecretKind::SecretAssignment,
            format!(r#"(?i)(?-u:\b)[A-Za-z0-9_.-]*?(?:{names})[ \t]*:[ \t]*(?P<secret>\[REDACTED:[a-z_]+\]|[^\s"'`,;)}}\]]{{8,}})"#),
            looks_random,
        ),
    ]
}

/// A compiled pattern.
struct Pattern {
    kind: SecretKind,
    source: String,
    /// The regex and the indices of its `secret…` groups (the first one that took part in a
    /// match is replaced), compiled the first time the set says the pattern matches: most of
    /// the patterns never match in a run, and compiling all of them cost as much as scanning.
    /// `None` if it failed to compile, which cannot happen once the set over the same
    /// patterns compiled (and `every_pattern_compiles` compiles each).
    compiled: OnceLock<Option<(Regex, Vec<usize>)>>,
    accept: fn(&str) -> bool,
}

/// Every pattern, plus the set that tells in one scan which of them can match.
struct Scrubber {
    /// The fewest bytes any pattern can match, read off the parsed patterns: shorter text is
    /// clean (most scrubbed strings are short names, units and enumerations). 0 when a pattern
    /// could not be measured, which disables the floor.
    shortest_match: usize,
    /// Substrings at least one of which every match of every pattern contains (ASCII case
    /// folded): text without any of them is clean without running a regex.
    literals: Option<AhoCorasick>,
    prefilter: RegexSet,
    patterns: Vec<Pattern>,
}

/// A necessary condition for each pattern of [`pattern_specs`], read off the pattern: the key
/// prefixes, `-----BEGIN`, `://`, the auth schemes and every spelling of the secret names
/// (`api[_-]?key` is three literals). Matched ASCII-case-insensitively, which covers every
/// `(?i)` pattern for ASCII text; text with any non-ASCII character skips this step, since
/// Unicode case folding lets `ſ` (U+017F) match `s` and the Kelvin sign match `k`.
/// A literal may be shorter than the prefix it stands for (`sk` for Twilio's `SK`, OpenAI's
/// `sk-` and Stripe's `sk_live_`; `_v1_` for DigitalOcean's three prefixes), never longer.
/// The test helper of this module checks, for every text the tests scrub, that whatever a
/// pattern matches passes these literals.
const REQUIRED_LITERALS: &[&str] = &[
    "-----begin",
    // AI providers.
    "sk",
    "gsk_",
    "xai-",
    "pplx-",
    "r8_",
    "lsv2_",
    "tvly-",
    // Code hosting and package registries.
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "gldt-",
    "glptt-",
    "glrt-",
    "glcbt-",
    "glft-",
    "glimt-",
    "glagent-",
    "gloas-",
    "glsoat-",
    "glffct-",
    "gr1348941",
    "npm_",
    "hf_",
    "api_org_",
    "pypi-age",
    "rubygems_",
    "dckr_",
    // Payments, messaging, SaaS.
    "rk_live_",
    "rk_test_",
    "whsec_",
    "sg.",
    "sib-",
    "_v1_",
    "shp",
    "sq0",
    "dapi",
    "lin_",
    "ntn_",
    "pmak-",
    "atatt3",
    "atbb",
    // Observability, infrastructure, secret managers.
    "glc_",
    "glsa_",
    "nrak-",
    "nrii-",
    "nral",
    "sntry",
    "dt0c01.",
    "hvs.",
    "hvb.",
    ".atlasv1.",
    "pul-",
    "dp.",
    "fo1_",
    "fm1",
    "fm2_",
    "hrku-",
    "sbp_",
    "pscale_",
    "sha256~",
    // Cloud providers.
    "akia",
    "asia",
    "aiza",
    "gocspx-",
    "ya29.",
    "1//0",
    "q~",
    "sig=",
    "signature=",
    "hooks.slack.com",
    "discord",
    "xox",
    "xapp-",
    // Structures and schemes (`eyj` also stands for Grafana's `eyJrIjoi` and 1Password's
    // `ops_eyJ`, `secret` for Notion's `secret_` and Supabase's `sb_secret_`).
    "eyj",
    "://",
    "bearer",
    "basic",
];

/// The spellings of [`SECRET_NAME_SUFFIXES`] (kept apart from the prefixes above): `connection`
/// stands for `connection[_-]?string`, `pwd` for `[a-z0-9][_-]pwd`, `secret` also for
/// `secret[_-]?key` and for age's `AGE-SECRET-KEY-1`.
const REQUIRED_LITERALS_NAMES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "accesskey",
    "access_key",
    "access-key",
    "privatekey",
    "private_key",
    "private-key",
    "credential",
    "authkey",
    "auth_key",
    "auth-key",
    "authorization",
    "signingkey",
    "signing_key",
    "signing-key",
    "encryptionkey",
    "encryption_key",
    "encryption-key",
    "masterkey",
    "master_key",
    "master-key",
    "accountkey",
    "account_key",
    "account-key",
    "openai_key",
    "anthropic_key",
    "gemini_key",
    "groq_key",
    "mistral_key",
    "deepseek_key",
    "openrouter_key",
    "xai_key",
    "pwd",
    "cookie",
    "connection",
    "connstr",
];

impl Scrubber {
    fn compile() -> Result<Scrubber, regex::Error> {
        let specs = pattern_specs();
        let literals = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            // A DFA even past the 100 literals up to which the automatic choice picks one: it
            // is the fastest to scan with, and these few hundred states are small.
            .kind(Some(AhoCorasickKind::DFA))
            .build(REQUIRED_LITERALS.iter().chain(REQUIRED_LITERALS_NAMES))
            .ok();
        let shortest_match = specs
            .iter()
            .map(|it| regex_syntax::parse(&it.regex).ok().and_then(|hir| hir.properties().minimum_len()).unwrap_or(0))
            .min()
            .unwrap_or(0);
        // The set's lazy DFA holds the start loops of every pattern in every state; with the
        // vendor patterns its states no longer fit the default 2 MB cache on `full` captures,
        // which then rebuilds them (callgrind on `normalize --capture-mode full corpus`: 1,203M
        // instructions with 2 MB, 1,129M with this bound, which is a ceiling, not an allocation).
        let prefilter = RegexSetBuilder::new(specs.iter().map(|it| it.regex.as_str())).dfa_size_limit(32 << 20).build()?;
        let patterns = specs
            .into_iter()
            .map(|spec| Pattern { kind: spec.kind, source: spec.regex, compiled: OnceLock::new(), accept: spec.accept })
            .collect();
        Ok(Scrubber { shortest_match, literals, prefilter, patterns })
    }
}

impl Scrubber {
    /// Text no pattern can match, told without a scan: shorter than any match, or made only of
    /// hex digits and dashes (ids and UUIDs are a good share of what is scanned, and every
    /// required literal has a byte outside that alphabet; a unit test checks it).
    fn cannot_match_by_shape(&self, text: &str) -> bool {
        text.len() < self.shortest_match || is_hex_or_dash(text)
    }

    /// False only when no pattern can match `text` (see [`REQUIRED_LITERALS`]).
    fn may_match(&self, text: &str) -> bool {
        if self.cannot_match_by_shape(text) {
            return false;
        }
        match &self.literals {
            Some(literals) if text.is_ascii() => literals.is_match(text),
            _ => true,
        }
    }
}

/// Whether `text` holds only ASCII hex digits (either case) and dashes.
fn is_hex_or_dash(text: &str) -> bool {
    text.bytes().all(|it| it.is_ascii_hexdigit() || it == b'-')
}

/// The compiled scrubber; `None` only if a pattern failed to compile, which the unit test
/// `every_pattern_compiles` rules out. [`scrub_text`] then fails closed instead of panicking.
static SCRUBBER: LazyLock<Option<Scrubber>> = LazyLock::new(|| Scrubber::compile().ok());

/// What [`scrub_text`] returns for any input if the scrubber could not be built: nothing passes.
const SCRUBBER_UNAVAILABLE: &str = "[REDACTED:scrubber_unavailable]";

impl Pattern {
    /// The compiled regex and its secret groups; see [`Pattern::compiled`].
    fn compiled(&self) -> Option<&(Regex, Vec<usize>)> {
        self.compiled
            .get_or_init(|| {
                let regex = Regex::new(&self.source).ok()?;
                let secret_groups = regex
                    .capture_names()
                    .enumerate()
                    .filter(|(_, name)| name.is_some_and(|it| it.starts_with("secret")))
                    .map(|(index, _)| index)
                    .collect();
                Some((regex, secret_groups))
            })
            .as_ref()
    }

    /// The replacement for one match: the match with its secret part replaced, or the match
    /// unchanged when the candidate is already scrubbed (see [`is_scrubbed`]) or fails the
    /// pattern's check.
    fn replace(&self, caps: &Captures<'_>, secret_groups: &[usize], found: &mut SecretCounts) -> String {
        let whole = caps.get_match();
        let secret = secret_groups.iter().find_map(|index| caps.get(*index)).unwrap_or(whole);
        if is_scrubbed(secret.as_str()) || !(self.accept)(secret.as_str()) {
            return whole.as_str().to_owned();
        }
        *found.entry(self.kind).or_default() += 1;
        let text = whole.as_str();
        // The secret group lies inside the match, so these offsets are in range.
        let before = text.get(..secret.start().saturating_sub(whole.start())).unwrap_or_default();
        let after = text.get(secret.end().saturating_sub(whole.start())..).unwrap_or_default();
        format!("{before}{}{after}", self.kind.placeholder())
    }
}

/// Replaces every secret in `text` by `[REDACTED:<kind>]`, counting each in `found`.
///
/// Returns the input borrowed when nothing matched (the common case costs one scan and no
/// allocation). Idempotent: scrubbing the output again changes nothing and counts nothing.
pub fn scrub_text<'a>(text: &'a str, found: &mut SecretCounts) -> Cow<'a, str> {
    let Some(scrubber) = SCRUBBER.as_ref() else {
        return Cow::Borrowed(SCRUBBER_UNAVAILABLE);
    };
    if !scrubber.may_match(text) {
        return Cow::Borrowed(text);
    }
    // `is_match` can stop at the first hit and allocates nothing: the cheap path for clean text.
    if !scrubber.prefilter.is_match(text) {
        return Cow::Borrowed(text);
    }
    let candidates = scrubber.prefilter.matches(text);
    let mut current = Cow::Borrowed(text);
    for index in candidates.iter() {
        let Some(pattern) = scrubber.patterns.get(index) else { continue };
        // Fails closed, as a scrubber that did not compile does.
        let Some((regex, secret_groups)) = pattern.compiled() else { return Cow::Borrowed(SCRUBBER_UNAVAILABLE) };
        let replaced = regex.replace_all(&current, |caps: &Captures<'_>| pattern.replace(caps, secret_groups, found));
        if let Cow::Owned(next) = replaced {
            current = Cow::Owned(next);
        }
    }
    current
}

/// Strings [`scrub_text`] found nothing in, so that one seen again is not scanned again: the
/// same vendor keys, metric names, units, models, session ids and file names recur on
/// thousands of records of a capture. Exact, not a heuristic: [`scrub_text`] depends on the
/// text alone, and text it returns borrowed counted nothing, so skipping it again changes
/// neither the output nor the counts. Bounded: past [`ScrubMemo::LIMIT`] strings it only
/// answers from what it holds.
#[derive(Debug, Default)]
pub struct ScrubMemo {
    clean: foldhash::HashSet<Box<str>>,
    /// Vendor keys known to read as names, hold no secret and name none (see
    /// [`ScrubMemo::is_plain_key`]).
    plain_keys: foldhash::HashSet<Box<str>>,
}

impl ScrubMemo {
    /// How many distinct clean strings a memo keeps at most.
    pub const LIMIT: usize = 4096;

    /// [`scrub_text`], answered from the memo when `text` is known clean; a clean result is
    /// remembered when `remember` (callers pass `false` for text that never recurs, such as
    /// item locators, so the memo does not fill up with it).
    pub fn scrub_text<'a>(&mut self, text: &'a str, remember: bool, found: &mut SecretCounts) -> Cow<'a, str> {
        let Some(scrubber) = SCRUBBER.as_ref() else { return scrub_text(text, found) };
        // Text `scrub_text` would not scan (too short, ids) needs no lookup and is not kept.
        if scrubber.cannot_match_by_shape(text) || self.clean.contains(text) {
            return Cow::Borrowed(text);
        }
        let res = scrub_text(text, found);
        if remember && matches!(res, Cow::Borrowed(_)) && self.clean.len() < ScrubMemo::LIMIT {
            let _ = self.clean.insert(Box::from(text));
        }
        res
    }

    /// Whether `key` is a vendor key seen before that reads as a name (see
    /// `privacy::looks_like_a_name`), holds no secret and does not name one ([`is_secret_key`]):
    /// the privacy layer then neither renames it nor checks its value by key. One lookup
    /// instead of three checks; every record repeats the same few dozen vendor keys.
    pub fn is_plain_key(&self, key: &str) -> bool {
        self.plain_keys.contains(key)
    }

    /// Remembers `key` as plain; the caller has checked that it is (bounded like the rest).
    pub fn remember_plain_key(&mut self, key: &str) {
        if self.plain_keys.len() < ScrubMemo::LIMIT {
            let _ = self.plain_keys.insert(Box::from(key));
        }
    }

    /// [`ScrubMemo::scrub_text`] in place.
    pub fn scrub_string(&mut self, text: &mut String, remember: bool, found: &mut SecretCounts) {
        if let Cow::Owned(scrubbed) = self.scrub_text(text, remember, found) {
            *text = scrubbed;
        }
    }
}

/// Scrubs a string in place; see [`scrub_text`].
pub fn scrub_string(text: &mut String, found: &mut SecretCounts) {
    if let Cow::Owned(scrubbed) = scrub_text(text, found) {
        *text = scrubbed;
    }
}

/// Scrubs every string inside a JSON value: strings, array elements, map keys and map values.
///
/// A map value under a secret-looking key (`"password"`, `"api_key"`, see [`is_secret_key`]) is
/// replaced whole, because structured data has no `password=` text for the patterns to find.
/// A scrubbed map key that collides with an existing one keeps the first entry.
pub fn scrub_json(value: &mut serde_json::Value, found: &mut SecretCounts) {
    match value {
        serde_json::Value::String(text) => scrub_string(text, found),
        serde_json::Value::Array(items) => items.iter_mut().for_each(|it| scrub_json(it, found)),
        serde_json::Value::Object(map) => {
            let entries = std::mem::take(map);
            for (key, mut item) in entries {
                let key = scrub_text(&key, found).into_owned();
                // Patterns first, so `{"authorization": "Bearer …"}` keeps its scheme and kind.
                scrub_json(&mut item, found);
                if let serde_json::Value::String(text) = &mut item {
                    redact_string_if_secret_key(&key, text, found);
                }
                map.entry(key).or_insert(item);
            }
        }
        serde_json::Value::Null | serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {}
    }
}

/// Replaces `text` by the `secret_assignment` placeholder when `key` names a secret (see
/// [`is_secret_key`]) and `text` is a concrete value; returns whether it did. Empty strings,
/// `$VAR` references and values already scrubbed (see [`is_scrubbed`]) stay. Call it after
/// [`scrub_text`], so a more specific kind (`Bearer [REDACTED:jwt]`) is kept.
pub fn redact_string_if_secret_key(key: &str, text: &mut String, found: &mut SecretCounts) -> bool {
    if !is_secret_key(key) || !is_concrete_value(text) || is_scrubbed(text) {
        return false;
    }
    *found.entry(SecretKind::SecretAssignment).or_default() += 1;
    SecretKind::SecretAssignment.placeholder().clone_into(text);
    true
}

static SECRET_KEY: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)^[a-z0-9_-]*?(?:{SECRET_NAME_SUFFIXES})$")).ok());

/// Whether an attribute or JSON key names a secret: its last dot-separated segment ends with
/// `password`, `secret`, `token`, `api_key`, … (`db.password`, `GITHUB_TOKEN`, `x-api-key`), but
/// not `max_tokens`, `token_type` or `gen_ai.token.type`. Fails closed if its regex is missing.
pub fn is_secret_key(key: &str) -> bool {
    let last_segment = key.rsplit('.').next().unwrap_or(key);
    SECRET_KEY.as_ref().is_none_or(|it| it.is_match(last_segment))
}

/// Whether `text` is exactly one scrubber placeholder (`[REDACTED:<kind>]`).
pub fn is_placeholder(text: &str) -> bool {
    text.strip_prefix("[REDACTED:").and_then(|rest| rest.strip_suffix(']')).is_some_and(is_kind_name)
}

/// The shape of a kind name inside a placeholder: snake_case ASCII.
fn is_kind_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|it| it.is_ascii_lowercase() || it == b'_')
}

/// Authorization schemes that may precede a redacted credential (`Bearer [REDACTED:jwt]`).
const AUTH_SCHEMES: [&str; 4] = ["bearer", "basic", "token", "digest"];

/// Whether nothing secret is left in `text`: it holds only placeholders, optionally after an
/// authorization scheme word. A value such as `hunter2 [REDACTED:jwt]` is not scrubbed.
pub fn is_scrubbed(text: &str) -> bool {
    let mut rest = String::with_capacity(text.len());
    let mut remaining = text;
    let mut placeholders = 0;
    while let Some((before, after)) = remaining.split_once("[REDACTED:") {
        let Some((_, tail)) = after.split_once(']').filter(|(name, _)| is_kind_name(name)) else { break };
        rest.push_str(before);
        rest.push(' ');
        remaining = tail;
        placeholders += 1;
    }
    rest.push_str(remaining);
    let rest = rest.trim();
    placeholders > 0 && (rest.is_empty() || AUTH_SCHEMES.iter().any(|it| rest.eq_ignore_ascii_case(it)))
}

fn always(_: &str) -> bool {
    true
}

/// Random key material has letters and digits; prose words and slugs rarely have both.
fn looks_random(text: &str) -> bool {
    text.bytes().any(|it| it.is_ascii_digit()) && text.bytes().any(|it| it.is_ascii_alphabetic())
}

/// A New Relic license key: 40 letters and digits, the last four `NRAL`.
fn is_newrelic_license_key(text: &str) -> bool {
    text.len() == 40 && looks_random(text)
}

/// An Azure AD client secret: at least three characters and a digit before `Q~`, letters and
/// digits mixed.
fn is_azure_client_secret(text: &str) -> bool {
    text.find("Q~").is_some_and(|at| at >= 4) && looks_random(text)
}

/// `sk-` followed by a long lowercase slug (`sk-my-long-branch-name-here`) is not a key.
fn openai_material_looks_random(key: &str) -> bool {
    let material = ["sk-proj-", "sk-svcacct-", "sk-admin-", "sk-"]
        .iter()
        .find_map(|prefix| key.strip_prefix(prefix))
        .unwrap_or(key);
    material.bytes().any(|it| it.is_ascii_digit() || it.is_ascii_uppercase()) && looks_random(material)
}

/// A Basic credential is base64 of `user:password`; English words after "basic" do not decode
/// to printable text with a colon.
fn decodes_to_user_password(text: &str) -> bool {
    let engines = [base64::engine::general_purpose::STANDARD, base64::engine::general_purpose::STANDARD_NO_PAD];
    engines.iter().filter_map(|engine| engine.decode(text).ok()).any(|bytes| {
        std::str::from_utf8(&bytes).is_ok_and(|decoded| decoded.contains(':') && !decoded.chars().any(char::is_control))
    })
}

/// A value worth redacting: not empty, not only punctuation (`****`), not a boolean or null
/// literal, and not a reference to where the secret lives or a template slot for it
/// (`$DB_PASSWORD`, `${TOKEN}`, `<your token>`, `{{ .Token }}`, `%s`).
fn is_concrete_value(text: &str) -> bool {
    let literal = text.trim();
    !["$", "<", "{{", "%"].iter().any(|it| literal.starts_with(it))
        && literal.chars().any(char::is_alphanumeric)
        && !["true", "false", "null", "none"].iter().any(|it| literal.eq_ignore_ascii_case(it))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str) -> (String, SecretCounts) {
        if let Some(scrubber) = SCRUBBER.as_ref() {
            // The literal prefilter must never hide a match of any pattern.
            assert!(
                !scrubber.prefilter.is_match(text) || scrubber.may_match(text),
                "a pattern matches {text:?} but none of the required literals is in it"
            );
        }
        let mut found = SecretCounts::new();
        let out = scrub_text(text, &mut found).into_owned();
        (out, found)
    }

    #[test]
    fn the_literal_prefilter_passes_a_match_of_every_pattern_in_every_case() {
        let Some(scrubber) = SCRUBBER.as_ref() else { panic!("the scrubber did not compile") };
        let examples = [
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123",
            "sk-proj-abcdefghijKLMNOP0123456789",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
            "github_pat_11ABCDEFG0123456789_abcdefghijk",
            "glpat-Ab12Cd34Ef56Gh78Ij90",
            "sk_live_51Ab12Cd34Ef56Gh78Ij90",
            "whsec_Ab12Cd34Ef56Gh78Ij90Kl12",
            "npm_Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
            "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh",
            "AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY0000",
            "AIzaSyA1234567890abcdefghijklmnopqrstuv",
            "xoxb-1234567890-abcdefghij",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig",
            "https://user:hunter2pass@example.com/x",
            "Authorization: Bearer abc123def456ghi789",
            "Basic dXNlcjpwYXNzd29yZA==",
            r#"{"db_password": "hunter2"}"#,
            r#"{\"api_key\": \"abc123\"}"#,
            "DB_PASSPHRASE=hunter2 X_AUTH_KEY=abc AUTHKEY=x1 my-access-key=y2 privatekey=z3 credentials=c4",
            "x-auth-key: a1b2c3d4e5f6g7h8 AUTHORIZATION: q1w2e3r4t5y6u7i8 passwd: 9o8i7u6y5t4r3e2w",
            "SECRET_KEY=a1 x-signing-key=b2 EncryptionKey=c3 master_key=d4 AccountKey=e5 OPENAI_KEY=f6",
            "anthropic_key=a1 GEMINI_KEY=b2 groq_key=c3 MISTRAL_KEY=d4 deepseek_key=e5 openrouter_key=f6",
            "XAI_KEY=a1 MYSQL_PWD=b2 db-pwd=c3 session_cookie=d4 ConnectionString=e5 connstr=f6",
        ];
        let vendor_examples = [
            format!("AGE-SECRET-KEY-1{}", "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2).get(..58).unwrap_or_default()),
            format!("sk-or-v1-{}", "0a".repeat(32)),
            format!("gsk_{}", "Ab1".repeat(12)),
            format!("xai-{}", "Ab1".repeat(14)),
            format!("pplx-{}", "Ab1".repeat(11)),
            format!("r8_{}", "Ab1".repeat(10)),
            format!("lsv2_sk_{}_{}", "0a".repeat(16), "0a".repeat(5)),
            format!("tvly-prod-{}", "Ab1".repeat(8)),
            format!("glcbt-{0} glft-{0} glimt-{0} glagent-{0} gloas-{0} glsoat-{0} glffct-{0} GR1348941{0}", "Ab12".repeat(5)),
            format!("api_org_{}", "Abcdefghijklmnopq".repeat(2)),
            format!("pypi-AgENdGVzdC5weXBpLm9yZw{}", "Ab1".repeat(17)),
            format!("rubygems_{}", "0a".repeat(24)),
            format!("dckr_oat_{}", "Ab1".repeat(8)),
            format!("SG.{}.{}", "Ab-_".repeat(5) + "Ab", "Ab1".repeat(14) + "A"),
            format!("xsmtpsib-{}-{}", "0a".repeat(32), "Ab12".repeat(4)),
            format!("SK{}", "0a".repeat(16)),
            format!("doo_v1_{0} dor_v1_{0}", "0a".repeat(32)),
            format!("shpss_{0} shpca_{0} shppa_{0}", "0a".repeat(16)),
            format!("sq0csp-{}", "Ab1".repeat(8)),
            format!("dapi{}-2", "0a".repeat(16)),
            format!("lin_oauth_{}", "0a".repeat(32)),
            format!("ntn_01234567890{0} secret_{1}", "Ab1".repeat(12).get(..35).unwrap_or_default(), "Ab1".repeat(15).get(..43).unwrap_or_default()),
            format!("PMAK-{}-{}", "0a".repeat(12), "0a".repeat(17)),
            format!("ATBB{}", "Ab1".repeat(10)),
            format!("glsa_{}_{} eyJrIjoi{}", "Ab12".repeat(8), "0a".repeat(4), "Ab1".repeat(14)),
            format!("NRII-{} {}NRAL", "Ab1-".repeat(8), "0a".repeat(18)),
            format!("sntrys_eyJpYXQiO{}", "Ab1".repeat(14)),
            format!("dt0c01.{}.{}", "AB12".repeat(6), "AB12".repeat(16)),
            format!("hvb.{}", "Ab1".repeat(10)),
            format!("{}.atlasv1.{}", "Ab1".repeat(5).get(..14).unwrap_or_default(), "Ab1".repeat(21)),
            format!("pul-{}", "0a".repeat(20)),
            format!("dp.st.dev_cfg.{0} dp.scim.{0} dp.audit.{0}", "Ab1".repeat(14)),
            format!("ops_eyJ{}", "Ab1".repeat(34)),
            format!("fm2_{0} fm1a_{0} fm1r_{0}", "Ab1".repeat(34)),
            format!("HRKU-AA{}", "Ab1".repeat(20)),
            format!("sbp_{} sb_secret_{}", "0a".repeat(20), "Ab1".repeat(8)),
            format!("pscale_pw_{}", "Ab1".repeat(11)),
            format!("sha256~{}", "Ab1".repeat(15).get(..43).unwrap_or_default()),
            format!("GOCSPX-{}", "Ab1".repeat(10)),
            format!("Bearer ya29.{} 1//0{}", "Ab1".repeat(12), "Ab1".repeat(12)),
            format!("xapp-1-{0} xoxe.xoxp-1-{0} xoxe-1-{0}", "Ab1".repeat(6)),
            format!("k;SharedAccessKey={0};AccountKey = {0}==", "Ab1/".repeat(11)),
            format!("abc8Q~{}", "Ab1".repeat(11)),
            format!("/x?sv=1&sig={0}%3D&X-Amz-Signature={0}\\u0026X-Goog-Signature={0}", "Ab1".repeat(8)),
            format!("hooks.slack.com/workflows/{} discordapp.com/api/webhooks/1234/{}", "Ab1/".repeat(6), "Ab1_".repeat(6)),
        ];
        for example in &vendor_examples {
            // Every token of a vendor example is replaced: no long run of key characters is left.
            let (out, found) = scrub(example);
            assert!(!found.is_empty(), "{example}");
            let left = SecretKind::ALL.iter().fold(out, |text, kind| text.replace(kind.placeholder(), " "));
            assert!(left.split(|it: char| !it.is_ascii_alphanumeric()).all(|it| it.len() < 16), "{example} -> {left}");
        }
        for example in examples.iter().map(|it| (*it).to_owned()).chain(vendor_examples) {
            let example = example.as_str();
            assert!(scrubber.prefilter.is_match(example), "not a match of any pattern: {example:?}");
            for text in [example.to_owned(), example.to_ascii_uppercase(), example.to_ascii_lowercase()] {
                assert!(!scrubber.prefilter.is_match(&text) || scrubber.may_match(&text), "prefilter hides {text:?}");
            }
        }
        // Unicode case folding: `ſ` matches `s` under `(?i)`, so non-ASCII text is not prefiltered.
        for folded in [r#"{"ſecret": "abc123"}"#, "x_ſecret=abc123", "DB_PAſSWORD=abc123"] {
            assert!(scrubber.prefilter.is_match(folded), "{folded}");
            assert!(scrubber.may_match(folded), "{folded}");
        }
        assert!(!scrubber.may_match("claude_code.api_request"));
    }

    #[test]
    fn the_length_floor_is_the_shortest_match_and_keeps_it() {
        let Some(scrubber) = SCRUBBER.as_ref() else { panic!("the scrubber did not compile") };
        // Every pattern was measured (a pattern regex-syntax could not measure gives 0, no floor).
        assert!(scrubber.shortest_match > 0);
        for spec in pattern_specs() {
            let hir = regex_syntax::parse(&spec.regex).expect("parses");
            let shortest = hir.properties().minimum_len().expect("has a minimum");
            assert!(shortest >= scrubber.shortest_match, "{}", spec.regex);
        }
        // The shortest credential URL and assignment are exactly at the floor, and still scrubbed.
        for (text, kind) in [("a://:b@", SecretKind::UrlPassword), ("token=x", SecretKind::SecretAssignment)] {
            assert_eq!(text.len(), scrubber.shortest_match, "{text}");
            let (out, found) = scrub(text);
            assert_eq!(found.get(&kind), Some(&1), "{text} -> {out}");
        }
        let below = "a://:@";
        assert!(!scrubber.may_match(below));
    }

    #[test]
    fn hex_and_dash_text_cannot_hold_a_required_literal() {
        for literal in REQUIRED_LITERALS.iter().chain(REQUIRED_LITERALS_NAMES) {
            assert!(!is_hex_or_dash(literal), "{literal}");
            assert!(!is_hex_or_dash(&literal.to_ascii_uppercase()), "{literal}");
        }
        let Some(scrubber) = SCRUBBER.as_ref() else { panic!("the scrubber did not compile") };
        assert!(!scrubber.may_match("0af7651916cd43dd8448eb211c80319c"));
        assert!(!scrubber.may_match("6E0C63257DE34C92-BF9E-6E0C63257DE3"));
        assert!(scrubber.may_match("0af7651916cd43dd8448eb211c80319c token=x"));
    }

    #[test]
    fn the_memo_answers_as_the_scrubber_does_and_counts_alike() {
        let texts = [
            "claude_code.api_request",
            "Authorization: Bearer sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
            "https://user:hunter2@example.com/path",
            "claude_code.api_request",
            "short",
            "https://user:hunter2@example.com/path",
        ];
        let mut memo = ScrubMemo::default();
        let (mut direct_found, mut memo_found) = (SecretCounts::default(), SecretCounts::default());
        for _ in 0..2 {
            for text in texts {
                let direct = scrub_text(text, &mut direct_found).into_owned();
                let memoized = memo.scrub_text(text, true, &mut memo_found).into_owned();
                assert_eq!(memoized, direct, "{text}");
            }
        }
        assert_eq!(memo_found, direct_found);
        assert!(direct_found.values().sum::<usize>() >= 4, "{direct_found:?}");
        // Only clean text long enough to be scanned is remembered.
        assert_eq!(memo.clean.len(), 1);
        let mut not_remembered = ScrubMemo::default();
        let _ = not_remembered.scrub_text("resourceSpans[0].scopeSpans[0].spans[7]", false, &mut memo_found);
        assert!(not_remembered.clean.is_empty());
    }

    #[test]
    fn every_pattern_compiles() {
        let compiled = Scrubber::compile();
        assert!(compiled.is_ok(), "{:?}", compiled.err());
        for spec in pattern_specs() {
            assert!(Regex::new(&spec.regex).is_ok(), "{}", spec.regex);
        }
        assert!(SECRET_KEY.is_some());
    }

    #[test]
    fn every_kind_has_a_pattern_and_every_assignment_pattern_has_a_secret_group() {
        let specs = pattern_specs();
        for kind in SecretKind::ALL {
            assert!(specs.iter().any(|it| it.kind == *kind), "no pattern for {kind:?}");
        }
        let Some(scrubber) = SCRUBBER.as_ref() else { panic!("scrubber did not compile") };
        for pattern in scrubber.patterns.iter().filter(|it| it.kind == SecretKind::SecretAssignment) {
            let secret_groups = pattern.compiled().map(|(_, groups)| groups.len()).unwrap_or_default();
            assert!(secret_groups > 0, "{}", pattern.source);
        }
    }

    #[test]
    fn placeholders_are_recognized_exactly() {
        for kind in SecretKind::ALL {
            assert!(is_placeholder(kind.placeholder()));
        }
        assert!(!is_placeholder("[REDACTED:jwt] and more"));
        assert!(!is_placeholder("[REDACTED:]"));
        assert!(!is_placeholder("[redacted]"));
    }

    #[test]
    fn scrubbed_means_only_placeholders_are_left() {
        assert!(is_scrubbed("[REDACTED:jwt]"));
        assert!(is_scrubbed("[REDACTED:jwt] [REDACTED:github_token]"));
        assert!(is_scrubbed("Bearer [REDACTED:bearer_token]"));
        assert!(!is_scrubbed("hunter2 [REDACTED:jwt]"));
        assert!(!is_scrubbed("[REDACTED:not a kind]"));
        assert!(!is_scrubbed("Bearer"));
        assert!(!is_scrubbed(""));
    }

    #[test]
    fn secret_keys_are_recognized_by_their_last_segment() {
        let secret_names = [
            "password", "db.password", "GITHUB_TOKEN", "x-api-key", "apiKey", "client_secret", "Authorization",
            "aws.access_key", "SECRET_KEY", "signing_key", "encryptionKey", "master-key", "AccountKey", "OPENAI_KEY",
            "anthropic_key", "MYSQL_PWD", "db-pwd", "session_cookie", "Cookie", "connection_string",
            "ConnectionString", "connstr",
        ];
        for key in secret_names {
            assert!(is_secret_key(key), "{key}");
        }
        let ordinary_names = [
            "max_tokens", "gen_ai.token.type", "token_type", "input_tokens", "tokenizer", "secretary",
            "passwords_checked", "keyboard", "key", "tool.key", "primary_key", "cache_key", "sort_key",
            "partition_key", "public_key", "api_key_id", "monkey", "PWD", "OLDPWD", "cwd", "cookies_enabled",
            "connection", "http.connection.state", "account_id", "openai", "gen_ai.usage.input_tokens",
        ];
        for key in ordinary_names {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn looks_random_needs_letters_and_digits() {
        assert!(looks_random("abc123"));
        assert!(!looks_random("authentication"));
        assert!(!looks_random("12345678"));
    }

    #[test]
    fn basic_check_decodes_user_and_password() {
        assert!(decodes_to_user_password("dXNlcjpwYXNz")); // user:pass
        assert!(decodes_to_user_password("dXNlcjpwYXNzd29yZA")); // unpadded user:password
        assert!(!decodes_to_user_password("functionality"));
        assert!(!decodes_to_user_password("requirements"));
    }

    #[test]
    fn json_values_under_secret_keys_are_replaced_whole() {
        let mut value = serde_json::json!({
            "password": "hunter2",
            "nested": {"api_key": "abc", "max_tokens": "4096", "note": "key AKIAIOSFODNN7EXAMPLE"},
            "list": ["sk-ant-api03-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"],
            "token": "$GITHUB_TOKEN",
            "count": 3
        });
        let mut found = SecretCounts::new();
        scrub_json(&mut value, &mut found);
        let expected = serde_json::json!({
            "password": "[REDACTED:secret_assignment]",
            "nested": {"api_key": "[REDACTED:secret_assignment]", "max_tokens": "4096", "note": "key [REDACTED:aws_access_key_id]"},
            "list": ["[REDACTED:anthropic_api_key]"],
            "token": "$GITHUB_TOKEN",
            "count": 3
        });
        assert_eq!(value, expected);
        assert_eq!(found.get(&SecretKind::SecretAssignment), Some(&2));
        assert_eq!(found.get(&SecretKind::AwsAccessKeyId), Some(&1));
        assert_eq!(found.get(&SecretKind::AnthropicApiKey), Some(&1));
    }

    #[test]
    fn clean_text_is_borrowed_not_copied() {
        let mut found = SecretCounts::new();
        assert!(matches!(scrub_text("claude-opus-4-8 used 1200 tokens", &mut found), Cow::Borrowed(_)));
        assert!(found.is_empty());
    }

    #[test]
    fn more_specific_kind_wins_inside_a_url_or_header() {
        let key = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789";
        assert_eq!(scrub(&format!("https://me:{key}@host/x")).0, "https://me:[REDACTED:anthropic_api_key]@host/x");
        assert_eq!(scrub(&format!("Authorization: Bearer {key}")).0, "Authorization: Bearer [REDACTED:anthropic_api_key]");
    }
}
