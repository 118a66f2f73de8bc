//! A trace's span tree over compact rows: built from the structural columns only, walked in
//! display order (depth-first, children by start time, then span id).

use std::collections::{HashMap, HashSet};

use arrow::record_batch::RecordBatch;

use crate::search::table::SpanView;

/// One span of the trace, compactly.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub span_id: u64,
    pub parent: Option<u64>,
    pub start: u64,
    pub duration: i64,
    pub name: u32,
    pub service: u32,
    pub kind: i32,
    pub status: i32,
}

impl Node {
    /// End time (unix nanoseconds); negative durations count as zero.
    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.duration.max(0) as u64)
    }
}

/// A trace's span tree in compact form.
pub struct SpanTree {
    pub(super) nodes: Vec<Node>,
    pub(super) strings: Vec<String>,
    pub(super) children: Vec<Vec<u32>>,
    pub(super) roots: Vec<u32>,
}

/// The low 8 bytes of a span id as a number (ids are 8 bytes; shorter ones are left-padded).
pub(super) fn span_number(id: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    let n = id.len().min(8);
    bytes[8 - n..].copy_from_slice(&id[id.len() - n..]);
    u64::from_be_bytes(bytes)
}

/// Which spans show their children: listed in `expanded` or shallower than `depth`, and not
/// listed in `collapsed`.
pub(super) struct Expansion {
    pub expanded: HashSet<u64>,
    pub collapsed: HashSet<u64>,
    pub depth: usize,
}

impl Expansion {
    fn is_expanded(&self, span_id: u64, depth: usize) -> bool {
        !self.collapsed.contains(&span_id)
            && (depth < self.depth || self.expanded.contains(&span_id))
    }
}

impl SpanTree {
    /// Builds the tree from the trace's column batches (duplicate span ids kept once).
    pub fn build(batches: &[RecordBatch]) -> Self {
        let mut nodes = Vec::new();
        let mut strings: Vec<String> = Vec::new();
        let mut interned: HashMap<String, u32> = HashMap::new();
        let mut intern = |text: &str| -> u32 {
            if let Some(i) = interned.get(text) {
                return *i;
            }
            let i = strings.len() as u32;
            strings.push(text.to_string());
            interned.insert(text.to_string(), i);
            i
        };
        let mut seen = HashSet::new();
        for batch in batches {
            let view = SpanView::new(batch);
            for row in 0..view.len() {
                let Some(id) = view.span_id(row) else {
                    continue;
                };
                let span_id = span_number(id);
                if !seen.insert(span_id) {
                    continue;
                }
                let parent = view
                    .parent_span_id(row)
                    .map(|p| span_number(&p))
                    .filter(|p| *p != 0);
                nodes.push(Node {
                    span_id,
                    parent,
                    start: view.start(row),
                    duration: view.duration(row),
                    name: intern(view.name(row)),
                    service: intern(view.service(row)),
                    kind: view.kind(row),
                    status: view.status(row),
                });
            }
        }
        let index: HashMap<u64, u32> = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.span_id, i as u32))
            .collect();
        let mut children: Vec<Vec<u32>> = vec![Vec::new(); nodes.len()];
        let mut roots = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            match node.parent.and_then(|p| index.get(&p)) {
                Some(&parent) if parent as usize != i => children[parent as usize].push(i as u32),
                _ => roots.push(i as u32),
            }
        }
        let order = |list: &mut Vec<u32>| {
            list.sort_by_key(|&i| (nodes[i as usize].start, nodes[i as usize].span_id))
        };
        order(&mut roots);
        for list in &mut children {
            order(list);
        }
        Self {
            nodes,
            strings,
            children,
            roots,
        }
    }

    /// Number of spans.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// True without spans.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Start and end of the trace (unix nanoseconds).
    pub fn bounds(&self) -> (u64, u64) {
        let start = self.nodes.iter().map(|n| n.start).min().unwrap_or(0);
        let end = self.nodes.iter().map(Node::end).max().unwrap_or(0);
        (start, end)
    }

    /// The node of `span_id`, if the trace has it.
    pub(super) fn node_of(&self, span_id: u64) -> Option<u32> {
        self.nodes
            .iter()
            .position(|n| n.span_id == span_id)
            .map(|i| i as u32)
    }

    /// Ancestors of `node`, root first (parents missing from the trace end the chain).
    pub(super) fn ancestors(&self, node: u32) -> Vec<u32> {
        let index: HashMap<u64, u32> = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.span_id, i as u32))
            .collect();
        let mut chain = Vec::new();
        let mut current = node;
        while let Some(&parent) = self.nodes[current as usize]
            .parent
            .and_then(|p| index.get(&p))
        {
            if parent == current || chain.contains(&parent) || chain.len() > self.nodes.len() {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        chain.reverse();
        chain
    }

    /// Visits the visible rows in display order: `visit(row, node, depth, expanded)`. Returns the
    /// number of visible rows.
    pub(super) fn walk(
        &self,
        expansion: &Expansion,
        mut visit: impl FnMut(usize, u32, usize, bool),
    ) -> usize {
        let mut visible = 0usize;
        // Iterative depth-first walk; a stack of (node, depth), children pushed in reverse.
        let mut stack: Vec<(u32, usize)> = self.roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((node, depth)) = stack.pop() {
            let expanded = expansion.is_expanded(self.nodes[node as usize].span_id, depth);
            visit(visible, node, depth, expanded);
            visible += 1;
            if expanded {
                stack.extend(
                    self.children[node as usize]
                        .iter()
                        .rev()
                        .map(|&c| (c, depth + 1)),
                );
            }
        }
        visible
    }

    /// Text of an interned string.
    pub(super) fn text(&self, index: u32) -> &str {
        &self.strings[index as usize]
    }
}
