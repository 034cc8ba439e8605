//! Structured diagnostics: where (byte span → line:col), which object, what rule.
//!
//! Diagnostics stay structured until the end so they can be sorted by position and
//! tested by rule; `render` formats them as `file:line:col: object: message`.

use crate::escape::Escaped;
use std::ops::Range;

/// One problem found in a topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte span in the source (start is what line:col points at).
    pub span: Range<usize>,
    /// The object, e.g. `peering pcx-ab`; empty for file-level problems.
    pub object: String,
    /// The problem and the AWS rule, in plain words.
    pub message: String,
    /// A stable short name of the rule (e.g. `peering-overlap`), for tests and tools.
    pub rule: &'static str,
}

/// A diagnostic placed in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub diag: Diagnostic,
}

impl std::fmt::Display for Located {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Objects and messages quote the input (ids, values, serde's excerpts):
        // printed escaped, so a hostile file cannot split lines or drive the terminal.
        write!(f, "{}:{}:{}: ", Escaped(&self.file), self.line, self.col)?;
        if !self.diag.object.is_empty() {
            write!(f, "{}: ", Escaped(&shortened(&self.diag.object)))?;
        }
        write!(f, "{}", Escaped(&self.diag.message))
    }
}

/// Longest object label printed whole. Valid ids are at most 255 characters, so
/// only an object named by an id that is itself the error (too long) is cut.
const MAX_OBJECT_CHARS: usize = 600;

/// `object`, or its start and its length when it is longer than
/// [`MAX_OBJECT_CHARS`]: a 100,000-character id made a 100,000-character line.
fn shortened(object: &str) -> std::borrow::Cow<'_, str> {
    let n = object.chars().count();
    if n <= MAX_OBJECT_CHARS {
        return object.into();
    }
    let head: String = object.chars().take(80).collect();
    format!("{head}… ({n} characters)").into()
}

/// Collects diagnostics while loading.
#[derive(Debug, Default)]
pub struct Diags {
    pub list: Vec<Diagnostic>,
}

impl Diags {
    pub fn push(
        &mut self,
        rule: &'static str,
        span: Range<usize>,
        object: impl Into<String>,
        message: impl Into<String>,
    ) {
        self.list.push(Diagnostic {
            span,
            object: object.into(),
            message: message.into(),
            rule,
        });
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// 1-based line and column (in characters) of byte offset `at` in `src`.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    Lines::new(src).line_col(at)
}

/// The byte offset of every line start, so placing each of many diagnostics is a
/// binary search rather than a scan of the file (400,000 errors in a 30 MB file
/// would otherwise be quadratic).
pub struct Lines<'s> {
    src: &'s str,
    starts: Vec<usize>,
}

impl<'s> Lines<'s> {
    pub fn new(src: &'s str) -> Self {
        let starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { src, starts }
    }

    /// 1-based line and column (in characters) of byte offset `at`.
    pub fn line_col(&self, at: usize) -> (usize, usize) {
        let mut at = at.min(self.src.len());
        while !self.src.is_char_boundary(at) {
            at -= 1;
        }
        // `starts[0] == 0 <= at`, so the partition point is at least 1.
        let line = self.starts.partition_point(|&s| s <= at);
        let line_start = self.starts[line - 1];
        let col = self.src[line_start..at].chars().count() + 1;
        (line, col)
    }
}

/// Place and sort diagnostics (by position, then message), dropping exact repeats.
pub fn locate(file: &str, src: &str, diags: Vec<Diagnostic>) -> Vec<Located> {
    let lines = Lines::new(src);
    let mut out: Vec<Located> = diags
        .into_iter()
        .map(|d| {
            let (line, col) = lines.line_col(d.span.start);
            Located {
                file: file.to_string(),
                line,
                col,
                diag: d,
            }
        })
        .collect();
    out.sort_by(|a, b| (a.line, a.col, &a.diag.message).cmp(&(b.line, b.col, &b.diag.message)));
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let src = "a = 1\nbé = \"x\"\n";
        assert_eq!(line_col(src, 0), (1, 1));
        assert_eq!(line_col(src, 6), (2, 1));
        // 'é' is two bytes but one column.
        let eq = src.find(" = \"x").unwrap();
        assert_eq!(line_col(src, eq), (2, 3));
        assert_eq!(line_col(src, 10_000), (3, 1));
    }
}
