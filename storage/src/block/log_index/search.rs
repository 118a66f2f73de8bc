//! Resolving conditions on log lines to the rows of a block, through its index.
//!
//! Every answer is a superset of the rows the conditions hold on: a substring filter becomes
//! conditions on the words it contains (exact words inside it, a prefix for a word at its end, a
//! suffix or substring pattern for a word at its start), lines with unindexed (too long) words
//! are always returned, and a label regex the index cannot run is left to the caller.

use std::ops::Bound;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::directory::OwnedBytes;
use tantivy::index::SegmentReader;
use tantivy::query::{AllQuery, BooleanQuery, Query, RangeQuery, RegexQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, Index, IndexReader, ReloadPolicy, Score, Term};

use super::bundle::BundleDirectory;
use super::schema::{
    LONG_WORD_FLAG, LogFields, SPAN_PREFIX_HEX, SpanIdIndexing, WORDS_TOKENIZER, fields_of,
    is_word_char, span_id_indexing, words_analyzer,
};
use crate::error::{StorageError, StorageResult};

/// Conditions every returned row must (possibly) meet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogIndexQuery {
    /// Substrings the line contains (case-sensitive).
    pub line_contains: Vec<String>,
    /// Words the line contains, ignoring case (a whole word; `prefix*` for a word starting
    /// with `prefix`). For free-text search.
    pub words_any_case: Vec<String>,
    /// Labels with exactly this value (`name`, `value`; Loki names).
    pub label_equals: Vec<(String, String)>,
    /// Labels whose value fully matches a regex (`name`, regex).
    pub label_matches: Vec<(String, String)>,
    /// Trace id, lower-case hex.
    pub trace_id: Option<String>,
    /// Span id, lower-case hex.
    pub span_id: Option<String>,
    /// Record time within `[start, end]`, unix nanoseconds.
    pub time_range: Option<(u64, u64)>,
}

/// How a word of a substring filter must appear among a line's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineCondition {
    /// A whole word (the filter has a separator on both sides of it).
    Word(String),
    /// A word starting with this (the filter ends inside a word).
    Prefix(String),
    /// A word ending with this (the filter starts inside a word).
    Suffix(String),
    /// A word containing this (the filter is one partial word).
    Infix(String),
}

impl LineCondition {
    /// Conditions on single terms or prefixes are cheap; the others scan the term dictionary.
    pub fn is_cheap(&self) -> bool {
        matches!(self, LineCondition::Word(_) | LineCondition::Prefix(_))
    }
}

/// What a line containing `needle` must have among its words. Only the cheap conditions when
/// there are any: the rest would only narrow a superset the caller checks anyway.
pub fn line_conditions(needle: &str) -> Vec<LineCondition> {
    let mut words: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (at, c) in needle.char_indices() {
        match (is_word_char(c), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                words.push((s, at));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, needle.len()));
    }
    let all: Vec<LineCondition> = words
        .iter()
        .map(|&(s, e)| {
            let word = needle[s..e].to_string();
            match (s == 0, e == needle.len()) {
                (false, false) => LineCondition::Word(word),
                (false, true) => LineCondition::Prefix(word),
                (true, false) => LineCondition::Suffix(word),
                (true, true) => LineCondition::Infix(word),
            }
        })
        .collect();
    if all.iter().any(LineCondition::is_cheap) {
        all.into_iter().filter(LineCondition::is_cheap).collect()
    } else {
        all
    }
}

/// The index of one block, open for searching.
pub struct LogIndex {
    reader: IndexReader,
    fields: LogFields,
    docs: u64,
    /// How span ids are indexed.
    span_ids: SpanIdIndexing,
}

impl std::fmt::Debug for LogIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogIndex")
            .field("docs", &self.docs)
            .finish()
    }
}

impl LogIndex {
    /// Opens a bundled index.
    pub fn open(bytes: OwnedBytes) -> StorageResult<Self> {
        let directory = BundleDirectory::open(bytes)?;
        let index = Index::open(directory)?;
        index
            .tokenizers()
            .register(WORDS_TOKENIZER, words_analyzer());
        let schema = index.schema();
        let fields = fields_of(&schema)?;
        let span_ids = span_id_indexing(&schema, &fields);
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let docs = reader.searcher().num_docs();
        Ok(Self {
            reader,
            fields,
            docs,
            span_ids,
        })
    }

    /// Documents (rows) indexed.
    pub fn docs(&self) -> u64 {
        self.docs
    }

    fn line_query(&self, needle: &str) -> Option<Box<dyn Query>> {
        let body = self.fields.body;
        let mut conditions = line_conditions(needle);
        if conditions.is_empty() {
            return None;
        }
        // Suffix and infix conditions scan the whole term dictionary; when the needle also
        // yields a whole word or a prefix, those alone narrow the rows enough (the caller
        // checks every row exactly anyway).
        if conditions.iter().any(LineCondition::is_cheap) {
            conditions.retain(LineCondition::is_cheap);
        }
        let mut parts: Vec<Box<dyn Query>> = Vec::new();
        for condition in conditions {
            let query: Box<dyn Query> = match condition {
                LineCondition::Word(w) => Box::new(TermQuery::new(
                    Term::from_field_text(body, &w),
                    IndexRecordOption::Basic,
                )),
                LineCondition::Prefix(w) => Box::new(
                    RegexQuery::from_pattern(&format!("{}.*", regex::escape(&w)), body).ok()?,
                ),
                LineCondition::Suffix(w) => Box::new(
                    RegexQuery::from_pattern(&format!(".*{}", regex::escape(&w)), body).ok()?,
                ),
                LineCondition::Infix(w) => Box::new(
                    RegexQuery::from_pattern(&format!(".*{}.*", regex::escape(&w)), body).ok()?,
                ),
            };
            parts.push(query);
        }
        let words: Box<dyn Query> = Box::new(BooleanQuery::intersection(parts));
        let long: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.flags, LONG_WORD_FLAG),
            IndexRecordOption::Basic,
        ));
        Some(Box::new(BooleanQuery::union(vec![words, long])))
    }

    fn any_case_word_query(&self, word: &str) -> Option<Box<dyn Query>> {
        let (stem, prefix) = match word.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (word, false),
        };
        if stem.is_empty() {
            return None;
        }
        let pattern = format!(
            "(?i){}{}",
            regex::escape(stem),
            if prefix { ".*" } else { "" }
        );
        let words: Box<dyn Query> =
            Box::new(RegexQuery::from_pattern(&pattern, self.fields.body).ok()?);
        let long: Box<dyn Query> = Box::new(TermQuery::new(
            Term::from_field_text(self.fields.flags, LONG_WORD_FLAG),
            IndexRecordOption::Basic,
        ));
        Some(Box::new(BooleanQuery::union(vec![words, long])))
    }

    fn query(&self, query: &LogIndexQuery) -> Box<dyn Query> {
        let fields = &self.fields;
        let term = |field, text: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, text),
                IndexRecordOption::Basic,
            ))
        };
        let mut parts: Vec<Box<dyn Query>> = Vec::new();
        for needle in &query.line_contains {
            parts.extend(self.line_query(needle));
        }
        for word in &query.words_any_case {
            parts.extend(self.any_case_word_query(word));
        }
        for (name, value) in &query.label_equals {
            parts.push(term(fields.label, &format!("{name}={value}")));
        }
        for (name, pattern) in &query.label_matches {
            let full = format!("{}=(?:{pattern})", regex::escape(name));
            if let Ok(regex) = RegexQuery::from_pattern(&full, fields.label) {
                parts.push(Box::new(regex));
            }
        }
        if let Some(id) = &query.trace_id {
            parts.push(term(fields.trace_id, id));
        }
        if let Some(id) = &query.span_id {
            match self.span_ids {
                SpanIdIndexing::Prefix(field) => {
                    if let Some(prefix) = id.get(..SPAN_PREFIX_HEX) {
                        parts.push(term(field, prefix));
                    }
                }
                SpanIdIndexing::Whole(field) => parts.push(term(field, id)),
                _ => {}
            }
        }
        if let Some((start, end)) = query.time_range {
            parts.push(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_u64(fields.time, start)),
                Bound::Included(Term::from_field_u64(fields.time, end)),
            )));
        }
        match parts.len() {
            0 => Box::new(AllQuery),
            1 => parts.pop().expect("one part"),
            _ => Box::new(BooleanQuery::intersection(parts)),
        }
    }

    /// The distinct label names of the block (sorted), read from the term dictionary by
    /// skipping from one name to the next.
    pub fn label_names(&self) -> StorageResult<Vec<String>> {
        let searcher = self.reader.searcher();
        let mut names = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.label)?;
            let terms = inverted.terms();
            let mut from: Vec<u8> = Vec::new();
            loop {
                let mut stream = terms
                    .range()
                    .ge(&from)
                    .into_stream()
                    .map_err(|e| StorageError::io("reading the label dictionary", e))?;
                if !stream.advance() {
                    break;
                }
                let key = stream.key();
                let Some(split) = key.iter().position(|b| *b == b'=') else {
                    break;
                };
                names.insert(String::from_utf8_lossy(&key[..split]).into_owned());
                // Every `name=...` term sorts below `name>`.
                from = key[..split].to_vec();
                from.push(b'=' + 1);
            }
        }
        Ok(names.into_iter().collect())
    }

    /// The distinct values of label `name` in the block (sorted), at most `limit`.
    pub fn label_values(&self, name: &str, limit: usize) -> StorageResult<Vec<String>> {
        let searcher = self.reader.searcher();
        let prefix = format!("{name}=");
        let mut end = name.as_bytes().to_vec();
        end.push(b'=' + 1);
        let mut values = std::collections::BTreeSet::new();
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.label)?;
            let mut stream = inverted
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .lt(&end)
                .into_stream()
                .map_err(|e| StorageError::io("reading the label dictionary", e))?;
            while stream.advance() && values.len() < limit {
                values.insert(String::from_utf8_lossy(&stream.key()[prefix.len()..]).into_owned());
            }
        }
        Ok(values.into_iter().collect())
    }

    /// The rows that may meet `query`, ascending.
    pub fn rows(&self, query: &LogIndexQuery) -> StorageResult<Vec<u32>> {
        Ok(self
            .rows_and_times(query)?
            .into_iter()
            .map(|(row, _)| row)
            .collect())
    }

    /// The rows that may meet `query` with their record times (from the `time` fast field),
    /// by ascending row.
    pub fn rows_and_times(&self, query: &LogIndexQuery) -> StorageResult<Vec<(u32, u64)>> {
        let searcher = self.reader.searcher();
        let mut rows = searcher.search(&*self.query(query), &RowCollector)?;
        rows.sort_unstable();
        Ok(rows)
    }
}

/// Collects the `row` and `time` fast fields of every matching document.
struct RowCollector;

struct RowSegmentCollector {
    rows: Column<u64>,
    times: Column<u64>,
    found: Vec<(u32, u64)>,
}

impl Collector for RowCollector {
    type Fruit = Vec<(u32, u64)>;
    type Child = RowSegmentCollector;

    fn for_segment(
        &self,
        _segment_local_id: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<RowSegmentCollector> {
        Ok(RowSegmentCollector {
            rows: segment.fast_fields().u64("row")?,
            times: segment.fast_fields().u64("time")?,
            found: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, u64)>>) -> tantivy::Result<Vec<(u32, u64)>> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for RowSegmentCollector {
    type Fruit = Vec<(u32, u64)>;

    fn collect(&mut self, doc: DocId, _score: Score) {
        if let Some(row) = self.rows.first(doc) {
            let time = self.times.first(doc).unwrap_or(0);
            self.found.push((row as u32, time));
        }
    }

    fn harvest(self) -> Vec<(u32, u64)> {
        self.found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_filters_become_word_conditions() {
        use LineCondition::*;
        assert_eq!(line_conditions("timeout"), vec![Infix("timeout".into())]);
        assert_eq!(
            line_conditions("connection refused"),
            vec![Prefix("refused".into())]
        );
        assert_eq!(
            line_conditions(" user 42 logged in"),
            vec![
                Word("user".into()),
                Word("42".into()),
                Word("logged".into()),
                Prefix("in".into())
            ]
        );
        assert_eq!(
            line_conditions("id=ord-7f3a"),
            vec![Word("ord".into()), Prefix("7f3a".into())]
        );
        assert_eq!(line_conditions("ab cd"), vec![Prefix("cd".into())]);
        assert_eq!(line_conditions("abc "), vec![Suffix("abc".into())]);
        assert!(line_conditions(" -- ").is_empty());
    }
}
