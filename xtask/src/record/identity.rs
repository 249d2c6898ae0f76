//! Record-time replacement of identity values by fixed, same-length placeholders.
//!
//! Identity means the values of a few attributes (user ids, emails, org ids, host name) plus
//! the machine's host name and OS user name wherever they appear. Everything else in a capture
//! stays byte for byte, so every placeholder has exactly the byte length of what it replaces:
//! protobuf length prefixes and JSON offsets stay valid, and nothing is re-encoded.
//!
//! JSON bodies are rewritten inside their raw string literals. Protobuf bodies are decoded with
//! prost only to learn which strings need rewriting; the rewrite itself is done on the raw bytes
//! at `<length varint><string bytes>` occurrences, so field order and any fields unknown to
//! prost are untouched.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context, Result};

use super::capture_server::Encoding;
use super::otlp_body::{proto_strings, Decoded};

/// Attribute keys whose string values are identity.
pub const IDENTITY_KEYS: &[&str] = &[
    "user.email",
    "user.id",
    "user.account_uuid",
    "user.account_id",
    "organization.id",
    "host.name",
];

/// Label (manifest key) for the machine's host name found outside a `host.name` attribute.
pub const HOSTNAME_LABEL: &str = "hostname";
/// Label (manifest key) for the OS user name.
pub const OS_USER_LABEL: &str = "os.user.name";

/// Identity values are replaced inside longer strings only from this length on; shorter
/// values are replaced only where they are a whole string, to avoid hitting ordinary words.
const MIN_SUBSTRING_LEN: usize = 8;

/// The machine's own identity values.
#[derive(Debug, Clone, Default)]
pub struct MachineIdentity {
    /// Host name (`uname -n`).
    pub hostname: Option<String>,
    /// Login name of the user running the recorder.
    pub os_user: Option<String>,
}

impl MachineIdentity {
    /// Reads the host name from the kernel and the user name from the environment or passwd.
    pub fn detect() -> Self {
        let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .or_else(|_| std::fs::read_to_string("/etc/hostname"))
            .ok()
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty());
        let os_user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|name| !name.is_empty())
            .or_else(user_name_from_passwd);
        Self { hostname, os_user }
    }
}

fn user_name_from_passwd() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() > 2 && fields[2] == uid).then(|| fields[0].to_string())
    })
}

/// A same-length placeholder for `original`, derived only from its label and shape.
///
/// Hex strings become zeros, UUIDs become the nil UUID, anything else becomes the label's
/// token (`redacted-host`, `user@example.invalid`, ...) cut or padded with `x` to length.
pub fn placeholder(label: &str, original: &str) -> String {
    let len = original.len();
    let is_hex = len >= 8 && original.bytes().all(|b| b.is_ascii_hexdigit());
    let is_uuid_like = len >= 8
        && original.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
        && original.contains('-');
    if is_hex || is_uuid_like {
        return original
            .bytes()
            .map(|b| if b == b'-' { '-' } else { '0' })
            .collect();
    }
    let token = match label {
        "user.email" => "user@example.invalid",
        "user.account_id" => "user_redacted",
        "host.name" | HOSTNAME_LABEL => "redacted-host",
        OS_USER_LABEL => "redacted-user",
        _ => "redacted",
    };
    let mut text: String = token.chars().take(len).collect();
    while text.len() < len {
        text.push('x');
    }
    text
}

/// Rewrites identity values in strings and remembers which placeholders it used.
#[derive(Debug, Default)]
pub struct IdentityRewriter {
    /// `(value, label)`, longest value first so longer matches win.
    values: Vec<(String, String)>,
    machine: MachineIdentity,
    used: BTreeMap<String, BTreeSet<String>>,
}

impl IdentityRewriter {
    /// A rewriter for this machine's identity.
    pub fn new(machine: MachineIdentity) -> Self {
        Self {
            machine,
            ..Self::default()
        }
    }

    /// Registers the value of an attribute if its key is an identity key.
    pub fn learn(&mut self, key: &str, value: &str) -> Result<()> {
        if !IDENTITY_KEYS.contains(&key) || value.is_empty() {
            return Ok(());
        }
        if self.values.iter().any(|(known, _)| known == value) {
            return Ok(());
        }
        // Raw JSON literals are rewritten as written; a value that JSON would escape could not
        // be found there, so refuse rather than silently leave it in the corpus.
        if value
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
        {
            bail!("identity value of {key} contains characters JSON escapes; cannot replace it in place");
        }
        self.values.push((value.to_string(), key.to_string()));
        self.values
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.cmp(b)));
        Ok(())
    }

    /// The placeholders used, by label; several distinct ones for a label are joined by ` | `.
    pub fn placeholders(&self) -> BTreeMap<String, String> {
        self.used
            .iter()
            .map(|(label, values)| {
                let joined: Vec<&str> = values.iter().map(String::as_str).collect();
                (label.clone(), joined.join(" | "))
            })
            .collect()
    }

    fn note(&mut self, label: &str, replacement: &str) {
        self.used
            .entry(label.to_string())
            .or_default()
            .insert(replacement.to_string());
    }

    /// The text with identity values replaced, or `None` when nothing matched. The result has
    /// the same byte length.
    pub fn rewrite(&mut self, text: &str) -> Option<String> {
        let mut bytes = text.as_bytes().to_vec();
        let mut changed = false;
        let values = self.values.clone();
        for (value, label) in &values {
            let replacement = placeholder(label, value);
            if text == value {
                self.note(label, &replacement);
                return Some(replacement);
            }
            if value.len() >= MIN_SUBSTRING_LEN
                && replace_all(&mut bytes, value, &replacement, |_, _, _| true)
            {
                self.note(label, &replacement);
                changed = true;
            }
        }
        if let Some(host) = self.machine.hostname.clone() {
            let replacement = placeholder(HOSTNAME_LABEL, &host);
            if replace_all(&mut bytes, &host, &replacement, |before, after, _| {
                is_boundary(before) && is_boundary(after)
            }) {
                self.note(HOSTNAME_LABEL, &replacement);
                changed = true;
            }
        }
        if let Some(user) = self.machine.os_user.clone() {
            let replacement = placeholder(OS_USER_LABEL, &user);
            // A short user name like `root` is also an English word and a common folder name
            // (`/$bunfs/root/`): only replace it where it is clearly the user: a whole string,
            // a home folder (`/home/<user>`, `/Users/<user>`, `/<user>` at the top of a path),
            // or `user@host`.
            let whole = bytes == user.as_bytes();
            if whole
                || replace_all(&mut bytes, &user, &replacement, |before, after, prefix| {
                    let home = is_home_parent(prefix) && matches!(after, None | Some(b'/' | b'\\' | b'"'));
                    home || (is_boundary(before) && after == Some(b'@'))
                })
            {
                if whole {
                    bytes = replacement.clone().into_bytes();
                }
                self.note(OS_USER_LABEL, &replacement);
                changed = true;
            }
        }
        if !changed {
            return None;
        }
        // Replacements are ASCII of equal length, so the text stays valid UTF-8.
        String::from_utf8(bytes).ok()
    }

    /// Rewrites one uncompressed body in place of its raw bytes; `None` when unchanged.
    pub fn rewrite_body(
        &mut self,
        encoding: Encoding,
        plain: &[u8],
        decoded: Option<&Decoded>,
    ) -> Result<Option<Vec<u8>>> {
        let rewritten = match encoding {
            Encoding::Json => self.rewrite_json(plain),
            Encoding::Protobuf => match decoded {
                Some(decoded) => self.rewrite_protobuf(plain, decoded)?,
                None => None,
            },
        };
        if let Some(out) = &rewritten {
            if out.len() != plain.len() {
                bail!("identity rewrite changed the body length; refusing to write it");
            }
        }
        Ok(rewritten)
    }

    fn rewrite_json(&mut self, raw: &[u8]) -> Option<Vec<u8>> {
        let mut out = raw.to_vec();
        let mut changed = false;
        let mut index = 0;
        while index < raw.len() {
            if raw[index] != b'"' {
                index += 1;
                continue;
            }
            let start = index + 1;
            let mut end = start;
            while end < raw.len() && raw[end] != b'"' {
                end += if raw[end] == b'\\' { 2 } else { 1 };
            }
            let end = end.min(raw.len());
            if let Ok(literal) = std::str::from_utf8(&raw[start..end]) {
                if let Some(new) = self.rewrite(literal) {
                    out[start..end].copy_from_slice(new.as_bytes());
                    changed = true;
                }
            }
            index = end + 1;
        }
        changed.then_some(out)
    }

    fn rewrite_protobuf(&mut self, raw: &[u8], decoded: &Decoded) -> Result<Option<Vec<u8>>> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for text in proto_strings(decoded) {
            if pairs.iter().any(|(original, _)| *original == text) {
                continue;
            }
            if let Some(new) = self.rewrite(&text) {
                pairs.push((text, new));
            }
        }
        if pairs.is_empty() {
            return Ok(None);
        }
        let mut out = raw.to_vec();
        for (original, new) in &pairs {
            let mut needle = encode_varint(original.len());
            needle.extend_from_slice(original.as_bytes());
            let prefix_len = needle.len() - original.len();
            let mut found = false;
            let mut from = 0;
            while let Some(offset) = find(&out[from..], &needle) {
                let at = from + offset + prefix_len;
                out[at..at + new.len()].copy_from_slice(new.as_bytes());
                found = true;
                from = at + new.len();
            }
            if !found {
                bail!("a decoded string was not found length-prefixed in the raw protobuf body");
            }
        }
        Ok(Some(out))
    }
}

/// Checks that rewriting left no identity value behind in a body's strings.
pub fn assert_clean(
    rewriter: &mut IdentityRewriter,
    encoding: Encoding,
    plain: &[u8],
    decoded: Option<&Decoded>,
) -> Result<()> {
    let leftover = rewriter
        .rewrite_body(encoding, plain, decoded)
        .context("re-checking a rewritten body")?;
    if leftover.is_some() {
        bail!("identity values are still present after rewriting");
    }
    Ok(())
}

fn is_boundary(byte: Option<u8>) -> bool {
    !matches!(byte, Some(b) if b.is_ascii_alphanumeric() || b == b'_')
}

/// Replaces every occurrence of `needle` accepted by `accept(byte_before, byte_after)`.
fn replace_all(
    haystack: &mut [u8],
    needle: &str,
    replacement: &str,
    accept: impl Fn(Option<u8>, Option<u8>, &[u8]) -> bool,
) -> bool {
    let needle = needle.as_bytes();
    if needle.is_empty() || needle.len() != replacement.len() {
        return false;
    }
    let mut changed = false;
    let mut from = 0;
    while let Some(offset) = find(&haystack[from..], needle) {
        let at = from + offset;
        let end = at + needle.len();
        let before = at.checked_sub(1).map(|i| haystack[i]);
        // In a raw JSON literal `\n` is an escape: the letter before the match is not a word.
        let escaped = at >= 2 && haystack[at - 2] == b'\\';
        let after = haystack.get(end).copied();
        if accept(if escaped { None } else { before }, after, &haystack[..at]) {
            haystack[at..end].copy_from_slice(replacement.as_bytes());
            changed = true;
        }
        from = end;
    }
    changed
}

/// Whether the text before a name makes the name a home folder: `/home/`, `/Users/`,
/// `\\Users\\`, or a lone `/` that starts a path (`/root/...`, not `/$bunfs/root/`).
fn is_home_parent(prefix: &[u8]) -> bool {
    if prefix.ends_with(b"/home/") || prefix.ends_with(b"/Users/") || prefix.ends_with(b"\\Users\\") {
        return true;
    }
    match prefix {
        [rest @ .., b'/'] => rest.last().is_none_or(|it| !(it.is_ascii_alphanumeric() || b"_-.$~/\\".contains(it))),
        _ => false,
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

fn encode_varint(mut value: usize) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
    use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
    use opentelemetry_proto::tonic::logs::v1::{LogRecord, ResourceLogs, ScopeLogs};
    use prost::Message;

    use super::*;
    use crate::record::capture_server::Signal;
    use crate::record::otlp_body::{decode, string_attributes};

    const USER_ID: &str = "cb347d8579144d4e6e34f1ac768967ce0eafd5baf8d208268c8cd671990987a8";

    fn rewriter() -> IdentityRewriter {
        let mut rewriter = IdentityRewriter::new(MachineIdentity {
            hostname: Some("vm".into()),
            os_user: Some("root".into()),
        });
        rewriter.learn("user.id", USER_ID).expect("plain value");
        rewriter
            .learn("user.email", "ada@lovelace.dev")
            .expect("plain value");
        rewriter
    }

    #[test]
    fn placeholders_keep_length_and_shape() {
        assert_eq!(placeholder("user.id", USER_ID), "0".repeat(64));
        assert_eq!(
            placeholder("organization.id", "1b2c3d4e-aaaa-bbbb-cccc-0123456789ab"),
            "00000000-0000-0000-0000-000000000000"
        );
        assert_eq!(placeholder(HOSTNAME_LABEL, "vm"), "re");
        assert_eq!(
            placeholder("host.name", "build-machine-01"),
            "redacted-hostxxx"
        );
        assert_eq!(
            placeholder("user.email", "ada@lovelace.dev"),
            "user@example.inv"
        );
    }

    #[test]
    fn json_bodies_keep_every_other_byte() {
        let body = format!(
            r#"{{"a":[{{"key":"user.id","value":{{"stringValue":"{USER_ID}"}}}},{{"key":"body","value":{{"stringValue":"device {USER_ID} in /root/x and root cause on vm\nvm.local"}}}},{{"key":"user.email","value":{{"stringValue":"ada@lovelace.dev"}}}},{{"key":"vmstat","value":{{"intValue":1}}}}]}}"#
        );
        let mut rewriter = rewriter();
        let out = rewriter
            .rewrite_body(Encoding::Json, body.as_bytes(), None)
            .expect("rewrites")
            .expect("changed");
        let out = String::from_utf8(out).expect("utf-8");
        assert_eq!(out.len(), body.len());
        assert!(!out.contains(USER_ID));
        assert!(out.contains(&"0".repeat(64)));
        assert!(out.contains("/reda/x"), "path segment replaced: {out}");
        assert!(out.contains("root cause"), "the English word stays: {out}");
        assert!(
            out.contains(r#"on re\nre.local"#),
            "host name replaced: {out}"
        );
        assert!(out.contains("vmstat"), "longer words stay: {out}");
        assert!(out.contains("user@example.inv"));
        let placeholders = rewriter.placeholders();
        assert_eq!(placeholders["user.id"], "0".repeat(64));
        assert_eq!(placeholders[HOSTNAME_LABEL], "re");
    }

    #[test]
    fn protobuf_bodies_are_rewritten_in_place() {
        let string = |text: &str| AnyValue {
            value: Some(any_value::Value::StringValue(text.to_string())),
        };
        let request = ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                scope_logs: vec![ScopeLogs {
                    log_records: vec![LogRecord {
                        body: Some(string("claude_code.user_prompt")),
                        attributes: vec![
                            KeyValue {
                                key: "user.id".into(),
                                value: Some(string(USER_ID)),
                                ..Default::default()
                            },
                            KeyValue {
                                key: "path".into(),
                                value: Some(string("/root/work")),
                                ..Default::default()
                            },
                        ],
                        ..Default::default()
                    }],
                    ..Default::default()
                }],
                ..Default::default()
            }],
        };
        let raw = request.encode_to_vec();
        let decoded = decode(Signal::Logs, Encoding::Protobuf, &raw)
            .expect("decodes")
            .expect("known");
        let mut rewriter = IdentityRewriter::new(MachineIdentity {
            hostname: None,
            os_user: Some("root".into()),
        });
        for (key, value) in string_attributes(&decoded) {
            rewriter.learn(&key, &value).expect("plain");
        }
        let out = rewriter
            .rewrite_body(Encoding::Protobuf, &raw, Some(&decoded))
            .expect("rewrites")
            .expect("changed");
        assert_eq!(out.len(), raw.len());
        let back = ExportLogsServiceRequest::decode(out.as_slice()).expect("still valid protobuf");
        let attributes = &back.resource_logs[0].scope_logs[0].log_records[0].attributes;
        assert_eq!(attributes[0].value, Some(string(&"0".repeat(64))));
        assert_eq!(attributes[1].value, Some(string("/reda/work")));
        let decoded_out = decode(Signal::Logs, Encoding::Protobuf, &out)
            .expect("decodes")
            .expect("known");
        assert_clean(&mut rewriter, Encoding::Protobuf, &out, Some(&decoded_out)).expect("clean");
    }
}

#[cfg(test)]
mod home_folder_tests {
    use super::is_home_parent;

    #[test]
    fn only_home_folders_count_as_the_user() {
        assert!(is_home_parent(b"\"/home/"));
        assert!(is_home_parent(b"cwd=/Users/"));
        assert!(is_home_parent(b"\"/"), "/root at the top of a path");
        assert!(is_home_parent(b"in /"));
        assert!(!is_home_parent(b"/$bunfs/"), "a folder named like the user inside another path");
        assert!(!is_home_parent(b"/srv/data/"));
        assert!(!is_home_parent(b"http://x/"));
        assert!(!is_home_parent(b"a"));
    }
}
