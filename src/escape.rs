//! Printing text that came from input (ids, names, file names, TOML values) so it
//! can never drive the terminal or forge a line: the one escaping helper, used by
//! every diagnostic (see `topology::diag`), and the predicate validation uses to
//! reject such characters in ids and names in the first place.
//!
//! Hand-written rather than `str::escape_debug`: that also escapes quotes, and our
//! messages quote values with backticks and `"`; only what is unsafe or invisible
//! on a terminal is escaped here, in Rust's notation (`\n`, `\t`, `\0`, `\u{1b}`).

use std::borrow::Cow;
use std::fmt;

/// Whether `c` must not be printed raw: control characters (C0, DEL, C1 — ESC
/// starts terminal escape sequences, NUL truncates C strings, CR/LF split lines),
/// Unicode line and paragraph separators, and the invisible formatting characters
/// that reorder or hide text (bidirectional overrides and isolates, zero-width
/// characters, the byte-order mark).
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2069}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// `s` with every unprintable character (and the backslash, so the result is
/// unambiguous) escaped; borrowed when nothing needed escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| c == '\\' || is_unprintable(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0' => out.push_str("\\0"),
            c if is_unprintable(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `Display` adapter: `format!("{}", Escaped(s))` prints `escape(s)`.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&escape(self.0))
    }
}

/// A path as messages print it: `display()`, escaped (a file may be called
/// anything, ESC and newlines included).
pub fn path(p: &std::path::Path) -> String {
    escape(&p.display().to_string()).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_act_on_and_nothing_else() {
        assert!(matches!(escape("vpc-a é — `x` \"y\""), Cow::Borrowed(_)));
        assert_eq!(escape("a\nb\tc\rd\0e"), "a\\nb\\tc\\rd\\0e");
        assert_eq!(escape("\u{1b}[31mred"), "\\u{1b}[31mred");
        assert_eq!(escape("x\u{7f}\u{9b}"), "x\\u{7f}\\u{9b}");
        assert_eq!(escape("abc\u{202e}fed"), "abc\\u{202e}fed");
        assert_eq!(escape("line\u{2028}sep"), "line\\u{2028}sep");
        assert_eq!(escape("back\\slash"), "back\\\\slash");
        assert_eq!(Escaped("a\nb").to_string(), "a\\nb");
        for c in ['a', ' ', 'é', '—', '/', '"'] {
            assert!(!is_unprintable(c), "{c:?}");
        }
    }
}
