//! Authentication of the collector's clients, and the tenant each token stands for.
//!
//! Tokens come from a file (`--auth-tokens-file`) or an environment variable
//! (`--auth-tokens-env`), never from the command line (where `ps` shows them). Each line is
//! `tenant:token` or a bare `token` (tenant `default`); blank lines and `#` comments are
//! skipped; the token is everything after the first `:`, so `acme:pk-lf-1:sk-lf-2` is tenant
//! `acme` with token `pk-lf-1:sk-lf-2`.
//!
//! A client presents a token in any of three ways:
//! - a header of the configured name (`--auth-header X-ScoreFlow-Token`): the value is the token;
//! - `Authorization: Bearer <token>`;
//! - `Authorization: Basic base64(<public>:<secret>)`: the token is `<public>:<secret>`.
//!
//! Every comparison is constant-time over SHA-256 digests of equal length, and every
//! configured token is compared (no early exit), so neither timing nor length tells an
//! attacker how close a guess was. Tokens are never printed: [`Tokens`] has a redacting
//! `Debug`, and headers that carry credentials are removed before a request is stored.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The tenant of requests when authentication is off.
pub const DEFAULT_TENANT: &str = "default";

/// Why tokens could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The tokens file could not be read.
    #[error("{}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        cause: std::io::Error,
    },
    /// The environment variable is not set (or not UTF-8).
    #[error("environment variable {0} is not set")]
    MissingEnv(String),
    /// A line has an empty token or tenant.
    #[error("{source_name} line {line}: {message}")]
    BadLine {
        /// The file or variable.
        source_name: String,
        /// 1-based line.
        line: usize,
        /// What is wrong (never the token).
        message: String,
    },
    /// No token at all.
    #[error("{0} holds no token")]
    Empty(String),
}

struct Entry {
    tenant: String,
    digest: [u8; 32],
}

/// The configured tokens. `Debug` shows tenants only.
pub struct Tokens {
    entries: Vec<Entry>,
    header: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tenants: Vec<&str> = self.entries.iter().map(|it| it.tenant.as_str()).collect();
        f.debug_struct("Tokens").field("tenants", &tenants).field("header", &self.header).finish_non_exhaustive()
    }
}

fn digest(token: &[u8]) -> [u8; 32] {
    Sha256::digest(token).into()
}

impl Tokens {
    /// Parses token lines (`tenant:token` or `token`); `source_name` names the file or
    /// variable in errors. `header` is the extra header name a token may come in.
    pub fn parse(text: &str, source_name: &str, header: Option<String>) -> Result<Tokens, AuthError> {
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = |message: &str| AuthError::BadLine {
                source_name: source_name.to_owned(),
                line: index + 1,
                message: message.to_owned(),
            };
            let (tenant, token) = match line.split_once(':') {
                Some((tenant, token)) => (tenant.trim(), token.trim()),
                None => (DEFAULT_TENANT, line),
            };
            if tenant.is_empty() {
                return Err(bad("empty tenant before `:`"));
            }
            if token.is_empty() {
                return Err(bad("empty token"));
            }
            if !tenant.chars().all(|it| it.is_ascii_alphanumeric() || matches!(it, '-' | '_' | '.')) {
                return Err(bad("a tenant is letters, digits, `-`, `_` and `.`"));
            }
            entries.push(Entry { tenant: tenant.to_owned(), digest: digest(token.as_bytes()) });
        }
        if entries.is_empty() {
            return Err(AuthError::Empty(source_name.to_owned()));
        }
        Ok(Tokens { entries, header: header.map(|it| it.to_ascii_lowercase()) })
    }

    /// Reads a tokens file.
    pub fn from_file(path: &Path, header: Option<String>) -> Result<Tokens, AuthError> {
        let text =
            std::fs::read_to_string(path).map_err(|cause| AuthError::Io { path: path.to_owned(), cause })?;
        Tokens::parse(&text, &path.display().to_string(), header)
    }

    /// Reads tokens from an environment variable (same line format).
    pub fn from_env(name: &str, header: Option<String>) -> Result<Tokens, AuthError> {
        let text = std::env::var(name).map_err(|_| AuthError::MissingEnv(name.to_owned()))?;
        Tokens::parse(&text, &format!("${name}"), header)
    }

    /// Adds the tokens of another source.
    pub fn extend(&mut self, other: Tokens) {
        self.entries.extend(other.entries);
    }

    /// The extra header name tokens may come in (lowercase).
    pub fn header(&self) -> Option<&str> {
        self.header.as_deref()
    }

    /// The tenant of a presented token, comparing against every configured token in
    /// constant time.
    pub fn tenant_of(&self, presented: &[u8]) -> Option<&str> {
        let presented = digest(presented);
        let mut found: Option<&str> = None;
        for entry in &self.entries {
            let equal: bool = entry.digest.ct_eq(&presented).into();
            if equal && found.is_none() {
                found = Some(&entry.tenant);
            }
        }
        found
    }

    /// Authenticates a request from a header lookup (`name` lowercase). Returns the tenant.
    pub fn authenticate<'a>(&self, header: impl Fn(&str) -> Option<&'a [u8]>) -> Option<&str> {
        let mut candidates: Vec<Vec<u8>> = Vec::new();
        if let Some(name) = &self.header {
            if let Some(value) = header(name) {
                candidates.push(trim(value).to_vec());
            }
        }
        if let Some(value) = header("authorization") {
            if let Some(token) = credential(value) {
                candidates.push(token);
            }
        }
        // Every candidate is checked, so which header matched is not visible in timing either.
        let mut tenant = None;
        for candidate in &candidates {
            if let Some(found) = self.tenant_of(candidate) {
                tenant = tenant.or(Some(found));
            }
        }
        tenant
    }
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|it| !it.is_ascii_whitespace()).unwrap_or(bytes.len());
    let end = bytes.iter().rposition(|it| !it.is_ascii_whitespace()).map_or(start, |it| it + 1);
    &bytes[start..end]
}

/// The token in an `Authorization` value: `Bearer <token>` or `Basic base64(user:secret)`.
fn credential(value: &[u8]) -> Option<Vec<u8>> {
    let value = trim(value);
    let split = value.iter().position(|it| *it == b' ')?;
    let (scheme, rest) = value.split_at(split);
    let rest = trim(rest);
    if scheme.eq_ignore_ascii_case(b"bearer") {
        Some(rest.to_vec())
    } else if scheme.eq_ignore_ascii_case(b"basic") {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.decode(rest).ok()
    } else {
        None
    }
}

/// Whether a header carries credentials and must not be stored or exported.
pub fn is_credential_header(name: &str, configured: Option<&str>) -> bool {
    let name = name.to_ascii_lowercase();
    if configured.is_some_and(|it| it == name) {
        return true;
    }
    matches!(name.as_str(), "authorization" | "proxy-authorization" | "cookie" | "set-cookie")
        || ["token", "api-key", "apikey", "secret", "password", "x-api-key"].iter().any(|it| name.contains(it))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        let text = "# team tokens\nacme:tok-acme\n\nglobex:pk-1:sk-2\nbare-token\n";
        match Tokens::parse(text, "tokens.txt", Some("X-ScoreFlow-Token".to_owned())) {
            Ok(it) => it,
            Err(error) => panic!("{error}"),
        }
    }

    #[test]
    fn lines_name_tenants_and_tokens() {
        let tokens = tokens();
        assert_eq!(tokens.tenant_of(b"tok-acme"), Some("acme"));
        assert_eq!(tokens.tenant_of(b"pk-1:sk-2"), Some("globex"));
        assert_eq!(tokens.tenant_of(b"bare-token"), Some(DEFAULT_TENANT));
        assert_eq!(tokens.tenant_of(b"tok-acm"), None);
        assert_eq!(tokens.tenant_of(b""), None);
    }

    #[test]
    fn bearer_basic_and_header_all_authenticate() {
        use base64::Engine as _;
        let tokens = tokens();
        let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("pk-1:sk-2"));
        let cases: Vec<(&str, String, Option<&str>)> = vec![
            ("authorization", "Bearer tok-acme".to_owned(), Some("acme")),
            ("authorization", "bearer   tok-acme ".to_owned(), Some("acme")),
            ("authorization", basic, Some("globex")),
            ("x-scoreflow-token", "tok-acme".to_owned(), Some("acme")),
            ("authorization", "Bearer wrong".to_owned(), None),
            ("authorization", "Token tok-acme".to_owned(), None),
            ("x-other", "tok-acme".to_owned(), None),
        ];
        for (name, value, expected) in cases {
            let got = tokens.authenticate(|wanted| (wanted == name).then_some(value.as_bytes()));
            assert_eq!(got, expected, "{name}: {value}");
        }
    }

    #[test]
    fn bad_lines_are_refused_without_quoting_the_token() {
        for (text, expected) in [(":secret-1", "line 1: empty tenant"), ("acme:", "line 1: empty token"), ("# only\n", "holds no token")] {
            match Tokens::parse(text, "tokens.txt", None) {
                Ok(_) => panic!("accepted {text:?}"),
                Err(error) => {
                    let message = error.to_string();
                    assert!(message.contains(expected), "{message}");
                    assert!(!message.contains("secret-1"), "{message}");
                }
            }
        }
    }

    #[test]
    fn debug_never_shows_tokens() {
        let shown = format!("{:?}", tokens());
        assert!(shown.contains("acme"));
        assert!(!shown.contains("tok-acme") && !shown.contains("sk-2") && !shown.contains("bare-token"), "{shown}");
    }

    #[test]
    fn credential_headers_are_recognized() {
        for name in ["Authorization", "proxy-authorization", "Cookie", "X-Api-Key", "x-scoreflow-token", "x-honeycomb-team-secret"] {
            assert!(is_credential_header(name, Some("x-scoreflow-token")), "{name}");
        }
        for name in ["content-type", "user-agent", "content-encoding"] {
            assert!(!is_credential_header(name, None), "{name}");
        }
    }
}
