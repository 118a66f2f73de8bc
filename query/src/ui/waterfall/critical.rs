//! The critical path of a trace: the chain of work that determined its end-to-end duration.
//!
//! As in Jaeger: walking back from the end of a span, the last-finishing child that started
//! before the cursor is on the path (clipped to the parent's window), the cursor moves to that
//! child's start, and the walk repeats; the stretches no child covers are the span's own time
//! on the path. Roots (spans whose parent is missing) are children of the whole trace. The walk
//! is iterative, so a chain of 100k nested spans needs no deep recursion.

use super::tree::SpanTree;

/// For every span: whether it is on the critical path and its own time on it (absolute unix
/// nanosecond intervals, latest first).
pub struct CriticalPath {
    /// Indexed by node.
    pub on_path: Vec<bool>,
    /// Indexed by node: `(start, end)` stretches of the span's own time on the path.
    pub segments: Vec<Vec<(u64, u64)>>,
}

struct Frame {
    node: Option<u32>,
    order: Vec<u32>,
    next: usize,
    cursor: u64,
    floor: u64,
}

impl SpanTree {
    fn by_end_descending(&self, mut list: Vec<u32>) -> Vec<u32> {
        list.sort_by_key(|&i| {
            let n = &self.nodes[i as usize];
            (std::cmp::Reverse(n.end()), n.start, n.span_id)
        });
        list
    }

    /// Computes the critical path.
    pub fn critical_path(&self) -> CriticalPath {
        let count = self.nodes.len();
        let mut on_path = vec![false; count];
        let mut segments = vec![Vec::new(); count];
        let (start, end) = self.bounds();
        let mut stack = vec![Frame {
            node: None,
            order: self.by_end_descending(self.roots.clone()),
            next: 0,
            cursor: end,
            floor: start,
        }];
        while let Some(frame) = stack.last_mut() {
            let mut chosen = None;
            while frame.next < frame.order.len() {
                let child = frame.order[frame.next];
                frame.next += 1;
                let node = &self.nodes[child as usize];
                if node.start < frame.cursor && node.end() > frame.floor {
                    chosen = Some(child);
                    break;
                }
            }
            match chosen {
                Some(child) => {
                    let node = &self.nodes[child as usize];
                    let child_end = node.end().min(frame.cursor);
                    let child_start = node.start.max(frame.floor);
                    if let Some(parent) = frame.node
                        && child_end < frame.cursor
                    {
                        segments[parent as usize].push((child_end, frame.cursor));
                    }
                    frame.cursor = child_start;
                    let order = self.by_end_descending(self.children[child as usize].clone());
                    stack.push(Frame {
                        node: Some(child),
                        order,
                        next: 0,
                        cursor: child_end,
                        floor: child_start,
                    });
                }
                None => {
                    if let Some(node) = frame.node {
                        on_path[node as usize] = true;
                        if frame.floor < frame.cursor {
                            segments[node as usize].push((frame.floor, frame.cursor));
                        }
                    }
                    stack.pop();
                }
            }
        }
        CriticalPath { on_path, segments }
    }
}
