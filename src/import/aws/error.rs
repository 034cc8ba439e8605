//! The one error of an import: which file, where in its JSON, what.

/// A problem that stops the import (nothing is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The file as shown (relative to the import folder).
    pub file: String,
    /// The JSON path (`Vpcs[2].CidrBlock`), empty for file-level problems.
    pub path: String,
    pub message: String,
}

impl ImportError {
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_string(),
            path: String::new(),
            message: message.into(),
        }
    }

    pub fn at(file: &str, path: &str, message: impl Into<String>) -> Self {
        ImportError {
            file: file.to_string(),
            path: path.to_string(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Paths and messages may quote input: escape control characters.
        let file = printable(&self.file);
        let lines: Vec<_> = self.message.lines().map(printable).collect();
        let message = lines.join("\n  ");
        if self.path.is_empty() {
            write!(f, "{file}: {message}")
        } else {
            write!(f, "{file}: at {}: {message}", printable(&self.path))
        }
    }
}

impl std::error::Error for ImportError {}

/// `s` with control characters escaped (`\n`, `\u{1b}`), for anything from the
/// input that is printed or written into a comment.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        std::borrow::Cow::Owned(
            s.chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect(),
        )
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}
