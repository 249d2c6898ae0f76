//! Sessions, computed at query time from every stored record: who, when, which models, how
//! many prompts, model calls and tool calls, tokens by type, exact cost, errors; and how
//! sessions hang together into chats.
//!
//! Computed at query time rather than stored, so a session whose logs, metrics and spans
//! arrive in many requests, across restarts, is one session, and a new identity policy
//! applies to data already stored.
//!
//! Identity ([`IdentityPolicy`]): the user is the first of the configured attributes found on
//! the session's records (default `coding_agent.user.id`, then `enduser.id`, then
//! `coding_agent.user.account_id`); the e-mail is used only when configured, and then only
//! when none of those is present, so it never overrides an identity the CLI stamped itself.
//! The tenant is the one of the token the data arrived with, never an attribute.
//!
//! Chats: a session's parent is the parent session id the collector found on its input
//! (configured attribute names, see [`IdentityPolicy::parent_keys`]) or, failing that, the
//! session of the span its own spans are parented to; a chat is its parent or, failing that,
//! the session itself. One chat with three subagents is one row with three children. A
//! resumed conversation that got a new session id is linked into the original's row when
//! the data allows: its records name the session they resume (configured attribute names,
//! see [`IdentityPolicy::resume_keys`]), or they reuse a prompt id first seen in the
//! earlier session.
//!
//! Usage: tokens and cost come from `llm_call` records; a session without any (metrics-only
//! exports) falls back to the deltas of the `coding_agent.token.usage` and
//! `coding_agent.cost.usage` metric points. The two are never added together: they bill the
//! same calls twice. `usage_source` says which was used.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use serde_json::Value as Json;

use crate::adapter::Item;
use crate::otlp::{find_attr, AnyValue};
use crate::schema::attributes as attr;
use crate::schema::CanonicalRecord;

use super::StoredRecord;

/// Which attributes name the user and the parent session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityPolicy {
    /// Attribute keys naming the user, most trusted first: canonical keys, or vendor keys kept
    /// with their value (`enduser.id`, or `resource.enduser.id` for a resource attribute).
    pub user_keys: Vec<String>,
    /// Use `coding_agent.user.email` when none of `user_keys` is present.
    pub use_email: bool,
    /// Input attribute keys (record, then resource) naming a subagent's parent session.
    pub parent_keys: Vec<String>,
    /// Input attribute keys naming the session a resumed session continues.
    pub resume_keys: Vec<String>,
}

/// The default user attributes, in order.
pub const DEFAULT_USER_KEYS: [&str; 3] = [attr::USER_ID, "enduser.id", attr::USER_ACCOUNT_ID];

/// The default parent-session attributes.
pub const DEFAULT_PARENT_KEYS: [&str; 5] =
    ["coding_agent.parent_session.id", "parent_session.id", "parent.session.id", "session.parent_id", "parent_session_id"];

/// The default resumed-from attributes.
pub const DEFAULT_RESUME_KEYS: [&str; 4] =
    ["coding_agent.session.resumed_from", "session.resumed_from", "resumed_from_session_id", "previous_session.id"];

impl Default for IdentityPolicy {
    fn default() -> IdentityPolicy {
        IdentityPolicy {
            user_keys: DEFAULT_USER_KEYS.iter().map(|it| (*it).to_owned()).collect(),
            use_email: false,
            parent_keys: DEFAULT_PARENT_KEYS.iter().map(|it| (*it).to_owned()).collect(),
            resume_keys: DEFAULT_RESUME_KEYS.iter().map(|it| (*it).to_owned()).collect(),
        }
    }
}

impl IdentityPolicy {
    /// The parent session an input item names, if it names one other than its own session.
    pub fn parent_session_id(&self, item: &Item<'_>, record: &CanonicalRecord) -> Option<String> {
        Self::session_named(&self.parent_keys, item, record)
    }

    /// The session an input item says its session resumes, if any other than its own.
    pub fn resumed_from_session_id(&self, item: &Item<'_>, record: &CanonicalRecord) -> Option<String> {
        Self::session_named(&self.resume_keys, item, record)
    }

    fn session_named(keys: &[String], item: &Item<'_>, record: &CanonicalRecord) -> Option<String> {
        for key in keys {
            let value = find_attr(item.attributes(), key).or_else(|| find_attr(&item.resource.attributes, key));
            if let Some(AnyValue::String(parent)) = value {
                if !parent.is_empty() && Some(parent.as_str()) != record.session_id.as_deref() {
                    return Some(parent.to_string());
                }
            }
        }
        None
    }

    /// The user a stored record names, and the attribute that named it.
    pub fn user_of(&self, record: &Json) -> Option<(String, String)> {
        let keys = self.user_keys.iter().map(String::as_str);
        let email = self.use_email.then_some(attr::USER_EMAIL);
        for key in keys.chain(email) {
            let value = record
                .pointer(&format!("/attributes/{}", escape(key)))
                .or_else(|| record.pointer(&format!("/vendor_attributes/{}", escape(key))));
            if let Some(Json::String(user)) = value {
                if !user.is_empty() {
                    return Some((user.clone(), key.to_owned()));
                }
            }
        }
        None
    }
}

/// JSON-pointer escaping of one path segment.
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Tokens by type; absent stays absent (no record carried the key).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tokens {
    /// Input tokens, cache reads and creations included.
    pub input: Option<i64>,
    /// Output tokens.
    pub output: Option<i64>,
    /// Input tokens read from the cache.
    pub cache_read: Option<i64>,
    /// Input tokens written to the cache.
    pub cache_creation: Option<i64>,
    /// Reasoning output tokens.
    pub reasoning: Option<i64>,
}

fn add(total: &mut Option<i64>, value: Option<i64>) {
    if let Some(value) = value {
        *total = Some(total.unwrap_or(0).saturating_add(value));
    }
}

impl Tokens {
    fn merge(&mut self, other: &Tokens) {
        add(&mut self.input, other.input);
        add(&mut self.output, other.output);
        add(&mut self.cache_read, other.cache_read);
        add(&mut self.cache_creation, other.cache_creation);
        add(&mut self.reasoning, other.reasoning);
    }
}

/// The figures of a session or a chat.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    /// Earliest record time, Unix nanoseconds.
    pub start_unix_nano: Option<u64>,
    /// Latest record time, Unix nanoseconds.
    pub end_unix_nano: Option<u64>,
    /// Models seen (`gen_ai.request.model`), sorted.
    pub models: Vec<String>,
    /// `user_prompt` records.
    pub prompts: u64,
    /// `llm_call` records.
    pub llm_calls: u64,
    /// `tool_call` records.
    pub tool_calls: u64,
    /// `tool_call` records with `coding_agent.success` false.
    pub tool_failures: u64,
    /// `api_error` records.
    pub errors: u64,
    /// Tokens by type.
    pub tokens: Tokens,
    /// Exact cost, the sum of micro-USD; absent when nothing reported a cost.
    pub cost_usd_micros: Option<i64>,
    /// Where tokens and cost came from: `llm_calls`, `metrics`, or absent (neither seen).
    pub usage_source: Option<String>,
    /// Records.
    pub records: u64,
}

impl Figures {
    fn merge(&mut self, other: &Figures) {
        self.start_unix_nano = min_opt(self.start_unix_nano, other.start_unix_nano);
        self.end_unix_nano = max_opt(self.end_unix_nano, other.end_unix_nano);
        let models: BTreeSet<String> = self.models.iter().chain(&other.models).cloned().collect();
        self.models = models.into_iter().collect();
        self.prompts += other.prompts;
        self.llm_calls += other.llm_calls;
        self.tool_calls += other.tool_calls;
        self.tool_failures += other.tool_failures;
        self.errors += other.errors;
        self.tokens.merge(&other.tokens);
        add(&mut self.cost_usd_micros, other.cost_usd_micros);
        self.usage_source = match (self.usage_source.take(), other.usage_source.clone()) {
            (Some(a), Some(b)) if a != b => Some("mixed".to_owned()),
            (a, b) => a.or(b),
        };
        self.records += other.records;
    }
}

fn min_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_opt(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// One row: a chat (a session with its resumed continuations and its subagent sessions).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRow {
    /// Tenant the data arrived under.
    pub tenant: String,
    /// Vendor.
    pub vendor: String,
    /// The session id (the chat's id for a top-level row).
    pub session_id: String,
    /// The user, per the identity policy.
    pub user: Option<String>,
    /// The attribute that named the user.
    pub user_source: Option<String>,
    /// Start, RFC 3339 UTC.
    pub start: Option<String>,
    /// End, RFC 3339 UTC.
    pub end: Option<String>,
    /// The parent session (for a child row).
    pub parent_session_id: Option<String>,
    /// Sessions linked into this row as continuations (resumed with a new id).
    pub linked_sessions: Vec<String>,
    /// Whether records of this session id itself are stored (false for a parent known only
    /// from its children).
    pub seen: bool,
    /// Totals of this row: the session, its continuations and all its children.
    #[serde(flatten)]
    pub figures: Figures,
    /// Subagent sessions, each with its own totals.
    pub children: Vec<SessionRow>,
}

/// One timeline entry of `codetel session ID`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// Time, Unix nanoseconds.
    pub time_unix_nano: Option<u64>,
    /// Time, RFC 3339 UTC.
    pub time: Option<String>,
    /// The session the record belongs to (a child's id for subagent records).
    pub session_id: String,
    /// Record kind.
    pub kind: String,
    /// The vendor's name for the input item.
    pub name: Option<String>,
    /// The record's main figures (`model=... input_tokens=...`).
    pub summary: String,
}

/// One chat in detail.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionDetail {
    /// The row.
    pub session: SessionRow,
    /// Every record of the chat in time order.
    pub timeline: Vec<TimelineEntry>,
}

/// Filters for listing.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only this tenant.
    pub tenant: Option<String>,
    /// Only this vendor.
    pub vendor: Option<String>,
}

#[derive(Debug, Default)]
struct SessionAcc {
    vendor: String,
    figures: Figures,
    own_usage: Figures,
    metric_usage: Figures,
    users: Option<(String, String)>,
    explicit_parent: Option<String>,
    explicit_resumed_from: Option<String>,
    prompt_ids: BTreeSet<String>,
    parent_spans: BTreeSet<String>,
    records: Vec<usize>,
}

type Key = (String, String);

fn text<'a>(record: &'a Json, key: &str) -> Option<&'a str> {
    record.get("attributes")?.get(key)?.as_str()
}

fn int(record: &Json, key: &str) -> Option<i64> {
    record.get("attributes")?.get(key)?.as_i64()
}

/// Every chat, sorted by start time (then id).
pub fn list(records: &[StoredRecord], policy: &IdentityPolicy, filter: &Filter) -> Vec<SessionRow> {
    Chats::build(records, policy, filter).rows()
}

/// One chat by any of its session ids (root, continuation or child), with its timeline.
pub fn detail(records: &[StoredRecord], policy: &IdentityPolicy, tenant: Option<&str>, session_id: &str) -> Option<SessionDetail> {
    let filter = Filter { tenant: tenant.map(str::to_owned), vendor: None };
    let chats = Chats::build(records, policy, &filter);
    let key = chats.find(session_id)?;
    let root = chats.root_of(&key);
    let row = chats.row(&root, None)?;
    let mut members = Vec::new();
    chats.members(&root, &mut members);
    let mut timeline: Vec<TimelineEntry> = Vec::new();
    for member in &members {
        let Some(acc) = chats.sessions.get(member) else { continue };
        for index in &acc.records {
            let record = &records[*index].record;
            let time = record.get("time_unix_nano").and_then(Json::as_u64);
            timeline.push(TimelineEntry {
                time_unix_nano: time,
                time: time.map(rfc3339),
                session_id: member.1.clone(),
                kind: record.get("kind").and_then(Json::as_str).unwrap_or_default().to_owned(),
                name: record.pointer("/source/name").and_then(Json::as_str).map(str::to_owned),
                summary: summary(record),
            });
        }
    }
    timeline.sort_by_key(|it| (it.time_unix_nano.is_none(), it.time_unix_nano));
    Some(SessionDetail { session: row, timeline })
}

/// The figures shown for one record in a timeline.
pub fn summary(record: &Json) -> String {
    const KEYS: [&str; 14] = [
        attr::REQUEST_MODEL,
        attr::TOOL_NAME,
        attr::INPUT_TOKENS,
        attr::OUTPUT_TOKENS,
        attr::CACHE_READ_INPUT_TOKENS,
        attr::COST_USD_MICROS,
        attr::DURATION_MS,
        attr::SUCCESS,
        attr::DECISION,
        attr::HTTP_STATUS_CODE,
        attr::ERROR_TYPE,
        attr::METRIC_NAME,
        attr::METRIC_DELTA,
        attr::TOKEN_TYPE,
    ];
    let mut parts = Vec::new();
    for key in KEYS {
        if let Some(value) = record.get("attributes").and_then(|it| it.get(key)) {
            let short = key.rsplit('.').next().unwrap_or(key);
            let shown = match value {
                Json::String(it) => it.clone(),
                other => other.to_string(),
            };
            parts.push(format!("{short}={shown}"));
        }
    }
    parts.join(" ")
}

struct Chats {
    sessions: BTreeMap<Key, SessionAcc>,
    parent: BTreeMap<Key, Key>,
    continuation_of: BTreeMap<Key, Key>,
    children: BTreeMap<Key, Vec<Key>>,
    continuations: BTreeMap<Key, Vec<Key>>,
}

impl Chats {
    fn build(records: &[StoredRecord], policy: &IdentityPolicy, filter: &Filter) -> Chats {
        let mut sessions: BTreeMap<Key, SessionAcc> = BTreeMap::new();
        let mut span_session: HashMap<(String, String), Key> = HashMap::new();
        for (index, stored) in records.iter().enumerate() {
            if filter.tenant.as_ref().is_some_and(|it| *it != stored.tenant) {
                continue;
            }
            let record = &stored.record;
            let vendor = record.get("vendor").and_then(Json::as_str).unwrap_or_default();
            if filter.vendor.as_ref().is_some_and(|it| it != vendor) {
                continue;
            }
            let Some(session_id) = record.get("session_id").and_then(Json::as_str) else { continue };
            let key = (stored.tenant.clone(), session_id.to_owned());
            let acc = sessions.entry(key.clone()).or_default();
            if acc.vendor.is_empty() {
                vendor.clone_into(&mut acc.vendor);
            }
            acc.records.push(index);
            if acc.explicit_parent.is_none() {
                acc.explicit_parent.clone_from(&stored.parent_session_id);
            }
            if acc.explicit_resumed_from.is_none() {
                acc.explicit_resumed_from.clone_from(&stored.resumed_from_session_id);
            }
            if acc.users.is_none() {
                acc.users = policy.user_of(record);
            }
            if let Some(prompt) = text(record, attr::PROMPT_ID) {
                let _ = acc.prompt_ids.insert(prompt.to_owned());
            }
            if let Some(span) = text(record, attr::SPAN_ID) {
                let trace = text(record, attr::TRACE_ID).unwrap_or_default().to_owned();
                let _ = span_session.entry((trace, span.to_owned())).or_insert_with(|| key.clone());
            }
            if let Some(parent_span) = text(record, attr::PARENT_SPAN_ID) {
                let trace = text(record, attr::TRACE_ID).unwrap_or_default();
                let _ = acc.parent_spans.insert(format!("{trace}/{parent_span}"));
            }
            accumulate(acc, record);
        }
        for acc in sessions.values_mut() {
            let usage = if acc.own_usage.llm_calls > 0 || acc.metric_usage.usage_source.is_none() {
                std::mem::take(&mut acc.own_usage)
            } else {
                std::mem::take(&mut acc.metric_usage)
            };
            acc.figures.tokens = usage.tokens;
            acc.figures.cost_usd_micros = usage.cost_usd_micros;
            acc.figures.usage_source = usage.usage_source;
        }

        // Parents: explicit first, else the session owning the span our spans hang under.
        let mut parent: BTreeMap<Key, Key> = BTreeMap::new();
        for (key, acc) in &sessions {
            let explicit = acc.explicit_parent.as_ref().map(|it| (key.0.clone(), it.clone()));
            let by_span = acc.parent_spans.iter().find_map(|it| {
                let (trace, span) = it.split_once('/')?;
                let owner = span_session.get(&(trace.to_owned(), span.to_owned()))?;
                (owner != key).then(|| owner.clone())
            });
            if let Some(found) = explicit.or(by_span) {
                if found != *key {
                    let _ = parent.insert(key.clone(), found);
                }
            }
        }
        // Continuations: a session naming the one it resumes, or a later session reusing a
        // prompt id of an earlier one (one turn's records under two session ids).
        let mut continuation_of: BTreeMap<Key, Key> = BTreeMap::new();
        for (key, acc) in &sessions {
            if let Some(original) = &acc.explicit_resumed_from {
                if *original != key.1 && !parent.contains_key(key) {
                    let _ = continuation_of.insert(key.clone(), (key.0.clone(), original.clone()));
                }
            }
        }
        let mut first_by_prompt: BTreeMap<(String, String), Key> = BTreeMap::new();
        let mut ordered: Vec<&Key> = sessions.keys().collect();
        ordered.sort_by_key(|key| (sessions[*key].figures.start_unix_nano, (*key).clone()));
        for key in ordered {
            for prompt in &sessions[key].prompt_ids {
                match first_by_prompt.get(&(key.0.clone(), prompt.clone())) {
                    Some(first) if first != key && !parent.contains_key(key) => {
                        let _ = continuation_of.entry(key.clone()).or_insert_with(|| first.clone());
                    }
                    Some(_) => {}
                    None => {
                        let _ = first_by_prompt.insert((key.0.clone(), prompt.clone()), key.clone());
                    }
                }
            }
        }
        let mut chats = Chats {
            sessions,
            parent,
            continuation_of,
            children: BTreeMap::new(),
            continuations: BTreeMap::new(),
        };
        let keys: Vec<Key> = chats.sessions.keys().cloned().collect();
        for key in keys {
            if let Some(original) = chats.continuation_of.get(&key).cloned() {
                let root = chats.resolve_continuation(&original);
                chats.continuations.entry(root).or_default().push(key);
            } else if let Some(parent) = chats.parent.get(&key).cloned() {
                let parent = chats.resolve_continuation(&parent);
                chats.children.entry(parent).or_default().push(key);
            }
        }
        chats
    }

    /// Follows continuation links to the original session (bounded, so a cycle ends).
    fn resolve_continuation(&self, key: &Key) -> Key {
        let mut current = key.clone();
        for _ in 0..64 {
            match self.continuation_of.get(&current) {
                Some(next) if *next != current => current = next.clone(),
                _ => break,
            }
        }
        current
    }

    /// The top of the chat a session belongs to.
    fn root_of(&self, key: &Key) -> Key {
        let mut current = self.resolve_continuation(key);
        for _ in 0..64 {
            match self.parent.get(&current) {
                Some(parent) if *parent != current => current = self.resolve_continuation(parent),
                _ => break,
            }
        }
        current
    }

    fn find(&self, session_id: &str) -> Option<Key> {
        if let Some(key) = self.sessions.keys().find(|it| it.1 == session_id) {
            return Some(key.clone());
        }
        // A parent known only from its children.
        self.children.keys().find(|it| it.1 == session_id).cloned()
    }

    fn is_top(&self, key: &Key) -> bool {
        !self.continuation_of.contains_key(key) && !self.parent.contains_key(key)
    }

    fn rows(&self) -> Vec<SessionRow> {
        let mut tops: BTreeSet<Key> = self.sessions.keys().filter(|it| self.is_top(it)).cloned().collect();
        // Parents known only from their children are chats too.
        for parent in self.children.keys() {
            if !self.sessions.contains_key(parent) {
                let _ = tops.insert(parent.clone());
            }
        }
        let mut rows: Vec<SessionRow> = tops.iter().filter_map(|key| self.row(key, None)).collect();
        rows.sort_by(|a, b| {
            (a.figures.start_unix_nano, &a.tenant, &a.session_id).cmp(&(b.figures.start_unix_nano, &b.tenant, &b.session_id))
        });
        rows
    }

    fn members(&self, key: &Key, out: &mut Vec<Key>) {
        if out.contains(key) || out.len() > 10_000 {
            return;
        }
        out.push(key.clone());
        for continuation in self.continuations.get(key).into_iter().flatten() {
            self.members(continuation, out);
        }
        for child in self.children.get(key).into_iter().flatten() {
            self.members(child, out);
        }
    }

    fn row(&self, key: &Key, parent: Option<&Key>) -> Option<SessionRow> {
        self.row_bounded(key, parent, 0)
    }

    fn row_bounded(&self, key: &Key, parent: Option<&Key>, depth: usize) -> Option<SessionRow> {
        if depth > 32 {
            return None;
        }
        let own = self.sessions.get(key);
        if own.is_none() && !self.children.contains_key(key) {
            return None;
        }
        let mut figures = own.map(|it| it.figures.clone()).unwrap_or_default();
        let mut vendor = own.map(|it| it.vendor.clone()).unwrap_or_default();
        let mut user = own.and_then(|it| it.users.clone());
        let mut linked = Vec::new();
        for continuation in self.continuations.get(key).into_iter().flatten() {
            if let Some(acc) = self.sessions.get(continuation) {
                figures.merge(&acc.figures);
                if user.is_none() {
                    user.clone_from(&acc.users);
                }
                linked.push(continuation.1.clone());
            }
        }
        let mut children = Vec::new();
        for child in self.children.get(key).into_iter().flatten() {
            if let Some(row) = self.row_bounded(child, Some(key), depth + 1) {
                figures.merge(&row.figures);
                if user.is_none() {
                    user = row.user.clone().zip(row.user_source.clone());
                }
                if vendor.is_empty() {
                    vendor.clone_from(&row.vendor);
                }
                children.push(row);
            }
        }
        children.sort_by(|a, b| (a.figures.start_unix_nano, &a.session_id).cmp(&(b.figures.start_unix_nano, &b.session_id)));
        let (user, user_source) = user.unzip();
        Some(SessionRow {
            tenant: key.0.clone(),
            vendor,
            session_id: key.1.clone(),
            user,
            user_source,
            start: figures.start_unix_nano.map(rfc3339),
            end: figures.end_unix_nano.map(rfc3339),
            parent_session_id: parent.map(|it| it.1.clone()).or_else(|| self.parent.get(key).map(|it| it.1.clone())),
            linked_sessions: linked,
            seen: own.is_some(),
            figures,
            children,
        })
    }
}

fn accumulate(acc: &mut SessionAcc, record: &Json) {
    let figures = &mut acc.figures;
    figures.records += 1;
    let time = record.get("time_unix_nano").and_then(Json::as_u64);
    figures.start_unix_nano = min_opt(figures.start_unix_nano, time);
    figures.end_unix_nano = max_opt(figures.end_unix_nano, time);
    if let Some(model) = text(record, attr::REQUEST_MODEL) {
        if !figures.models.iter().any(|it| it == model) {
            figures.models.push(model.to_owned());
            figures.models.sort();
        }
    }
    match record.get("kind").and_then(Json::as_str).unwrap_or_default() {
        "user_prompt" => figures.prompts += 1,
        "llm_call" => {
            figures.llm_calls += 1;
            let usage = &mut acc.own_usage;
            usage.llm_calls += 1;
            usage.usage_source = Some("llm_calls".to_owned());
            add(&mut usage.tokens.input, int(record, attr::INPUT_TOKENS));
            add(&mut usage.tokens.output, int(record, attr::OUTPUT_TOKENS));
            add(&mut usage.tokens.cache_read, int(record, attr::CACHE_READ_INPUT_TOKENS));
            add(&mut usage.tokens.cache_creation, int(record, attr::CACHE_CREATION_INPUT_TOKENS));
            add(&mut usage.tokens.reasoning, int(record, attr::REASONING_OUTPUT_TOKENS));
            add(&mut usage.cost_usd_micros, int(record, attr::COST_USD_MICROS));
        }
        "tool_call" => {
            figures.tool_calls += 1;
            let failed = record.get("attributes").and_then(|it| it.get(attr::SUCCESS)).and_then(Json::as_bool) == Some(false);
            if failed {
                figures.tool_failures += 1;
            }
        }
        "api_error" => figures.errors += 1,
        "metric_point" => {
            let usage = &mut acc.metric_usage;
            let delta = int(record, attr::METRIC_DELTA);
            match text(record, attr::METRIC_NAME) {
                Some("coding_agent.cost.usage") => {
                    usage.usage_source = Some("metrics".to_owned());
                    add(&mut usage.cost_usd_micros, delta);
                }
                Some("coding_agent.token.usage") => {
                    usage.usage_source = Some("metrics".to_owned());
                    // The vendor's split: `input` is uncached input, so the cache types are
                    // added to it (canonical input includes cache tokens).
                    match text(record, attr::TOKEN_TYPE) {
                        Some("input") => add(&mut usage.tokens.input, delta),
                        Some("output") => add(&mut usage.tokens.output, delta),
                        Some("cache_read" | "cacheRead") => {
                            add(&mut usage.tokens.cache_read, delta);
                            add(&mut usage.tokens.input, delta);
                        }
                        Some("cache_creation" | "cacheCreation") => {
                            add(&mut usage.tokens.cache_creation, delta);
                            add(&mut usage.tokens.input, delta);
                        }
                        Some("reasoning") => add(&mut usage.tokens.reasoning, delta),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// Unix nanoseconds as RFC 3339 UTC with milliseconds (`2026-11-21T14:12:42.077Z`).
pub fn rfc3339(unix_nano: u64) -> String {
    let secs = unix_nano / 1_000_000_000;
    let millis = (unix_nano / 1_000_000) % 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_270_362_077_000_000), "2026-11-21T14:12:42.077Z");
        assert_eq!(rfc3339(951_782_400_000_000_000), "2000-02-29T00:00:00.000Z");
    }
}
