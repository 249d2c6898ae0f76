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
use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use base64::Engine as _;
use regex::{Captures, Regex, RegexSet};
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
    /// of the base64 body when the text was truncated before the `END` line).
    PrivateKey => "private_key",
    /// An Anthropic API or OAuth key (`sk-ant-…`).
    AnthropicApiKey => "anthropic_api_key",
    /// An OpenAI API key (`sk-…`, `sk-proj-…`, `sk-svcacct-…`, `sk-admin-…`).
    OpenaiApiKey => "openai_api_key",
    /// A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`).
    GithubToken => "github_token",
    /// A GitLab token (`glpat-` personal, `gldt-` deploy, `glptt-` trigger, `glrt-` runner).
    GitlabToken => "gitlab_token",
    /// A Stripe secret or restricted key (`sk_live_`, `sk_test_`, `rk_live_`, `rk_test_`) or
    /// webhook signing secret (`whsec_`); publishable `pk_` keys are public by design.
    StripeKey => "stripe_key",
    /// An npm access token (`npm_` + 36 letters and digits).
    NpmToken => "npm_token",
    /// A Hugging Face access token (`hf_` + 34 letters).
    HuggingFaceToken => "huggingface_token",
    /// An AWS access key id (`AKIA…`/`ASIA…` + 16 or more uppercase letters or digits).
    AwsAccessKeyId => "aws_access_key_id",
    /// The value of an `aws_secret_access_key` (or `SecretAccessKey`) assignment.
    AwsSecretAccessKey => "aws_secret_access_key",
    /// A Google API key (`AIza…`).
    GoogleApiKey => "google_api_key",
    /// A Slack token (`xoxa-`, `xoxb-`, `xoxp-`, `xoxr-`, `xoxs-`).
    SlackToken => "slack_token",
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
const SECRET_NAME_SUFFIXES: &str = r"password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?key|authorization|credentials?";

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
        // No word boundary in front: `sk-ant-` and 20 key characters are distinctive enough,
        // and a key glued to an identifier (`leak_sk-ant-…`, `TOKEN_sk-ant-…`) is still a key.
        spec(SecretKind::AnthropicApiKey, r"sk-ant-[A-Za-z0-9_-]{20,}", always),
        spec(
            SecretKind::OpenaiApiKey,
            r"(?-u:\b)sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}",
            openai_material_looks_random,
        ),
        spec(
            SecretKind::GithubToken,
            r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})",
            always,
        ),
        // No word boundary in front of the GitLab and Stripe prefixes, as for Anthropic's: they
        // are distinctive, and `KEY_sk_live_…` is still a key.
        spec(SecretKind::GitlabToken, r"gl(?:pat|dt|ptt|rt)-[A-Za-z0-9_-]{20,}", always),
        spec(SecretKind::StripeKey, r"(?:(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,})", always),
        spec(SecretKind::NpmToken, r"(?-u:\b)npm_[A-Za-z0-9]{36}(?-u:\b)", always),
        spec(SecretKind::HuggingFaceToken, r"(?-u:\b)hf_[A-Za-z]{34}(?-u:\b)", always),
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
        spec(SecretKind::SlackToken, r"(?-u:\b)xox[abprs]-[A-Za-z0-9-]{10,}", always),
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
    regex: Regex,
    /// Indices of the `secret…` groups; the first one that took part in a match is replaced.
    secret_groups: Vec<usize>,
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
/// The test helper of this module checks, for every text the tests scrub, that whatever a
/// pattern matches passes these literals.
const REQUIRED_LITERALS: [&str; 42] = [
    "-----begin",
    "sk-",
    "glpat-",
    "gldt-",
    "glptt-",
    "glrt-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "rk_test_",
    "whsec_",
    "npm_",
    "hf_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "akia",
    "asia",
    "aiza",
    "xox",
    "eyj",
    "://",
    "bearer",
    "basic",
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
];

/// The remaining name spellings of [`SECRET_NAME_SUFFIXES`] (kept apart so the array above
/// stays readable): `auth[_-]?key` and `authorization`.
const REQUIRED_LITERALS_AUTH: [&str; 4] = ["authkey", "auth_key", "auth-key", "authorization"];

impl Scrubber {
    fn compile() -> Result<Scrubber, regex::Error> {
        let specs = pattern_specs();
        let literals = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(REQUIRED_LITERALS.iter().chain(&REQUIRED_LITERALS_AUTH))
            .ok();
        let shortest_match = specs
            .iter()
            .map(|it| regex_syntax::parse(&it.regex).ok().and_then(|hir| hir.properties().minimum_len()).unwrap_or(0))
            .min()
            .unwrap_or(0);
        let prefilter = RegexSet::new(specs.iter().map(|it| it.regex.as_str()))?;
        let mut patterns = Vec::with_capacity(specs.len());
        for spec in specs {
            let regex = Regex::new(&spec.regex)?;
            let secret_groups = regex
                .capture_names()
                .enumerate()
                .filter(|(_, name)| name.is_some_and(|it| it.starts_with("secret")))
                .map(|(index, _)| index)
                .collect();
            patterns.push(Pattern { kind: spec.kind, regex, secret_groups, accept: spec.accept });
        }
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
    /// The replacement for one match: the match with its secret part replaced, or the match
    /// unchanged when the candidate is already scrubbed (see [`is_scrubbed`]) or fails the
    /// pattern's check.
    fn replace(&self, caps: &Captures<'_>, found: &mut SecretCounts) -> String {
        let whole = caps.get_match();
        let secret = self.secret_groups.iter().find_map(|index| caps.get(*index)).unwrap_or(whole);
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
        let replaced = pattern.regex.replace_all(&current, |caps: &Captures<'_>| pattern.replace(caps, found));
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
        ];
        for example in examples {
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
        for literal in REQUIRED_LITERALS.iter().chain(&REQUIRED_LITERALS_AUTH) {
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
            assert!(!pattern.secret_groups.is_empty(), "{}", pattern.regex.as_str());
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
        for key in ["password", "db.password", "GITHUB_TOKEN", "x-api-key", "apiKey", "client_secret", "Authorization", "aws.access_key"] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["max_tokens", "gen_ai.token.type", "token_type", "input_tokens", "tokenizer", "secretary", "passwords_checked", "keyboard"] {
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
