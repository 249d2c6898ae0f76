//! Reading rule ids out of `docs/spec.md`, so the spec and [`super::RULES`] can be compared.
//!
//! A rule is defined by a list item that starts with its id in bold and its RFC 2119 keyword
//! in parentheses: `- **CA-PRIV-001** (MUST) ...`. Any other mention of an id is a reference,
//! and must name a defined rule.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use crate::finding::Level;

/// One rule definition in the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecRule {
    /// The id (`CA-PRIV-001`).
    pub id: String,
    /// `MUST`, `SHOULD` or `MAY`.
    pub keyword: String,
    /// 1-based line of the definition.
    pub line: usize,
}

static DEFINITION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^\s*[-*]\s+\*\*(CA-[A-Z]+-\d{3})\*\*\s+\((MUST|SHOULD|MAY)\)").ok());
static REFERENCE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"\bCA-[A-Z]+-\d{3}\b").ok());

/// Every rule definition, in document order.
pub fn definitions(text: &str) -> Vec<SpecRule> {
    let Some(definition) = DEFINITION.as_ref() else { return Vec::new() };
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let captures = definition.captures(line)?;
            Some(SpecRule { id: captures[1].to_owned(), keyword: captures[2].to_owned(), line: index + 1 })
        })
        .collect()
}

/// Every id mentioned anywhere, definitions included.
pub fn references(text: &str) -> BTreeSet<String> {
    let Some(reference) = REFERENCE.as_ref() else { return BTreeSet::new() };
    reference.find_iter(text).map(|it| it.as_str().to_owned()).collect()
}

/// The finding level an RFC 2119 keyword stands for.
pub fn keyword_level(keyword: &str) -> Option<Level> {
    match keyword {
        "MUST" => Some(Level::Violation),
        "SHOULD" => Some(Level::Improvement),
        "MAY" => Some(Level::Information),
        _ => None,
    }
}

/// The line of a rule's definition.
pub fn line_of(text: &str, id: &str) -> Option<usize> {
    definitions(text).into_iter().find(|it| it.id == id).map(|it| it.line)
}
