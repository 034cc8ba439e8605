//! What an id or a name may contain. Ids and names end up in flow-log lines
//! (space-separated fields), pcapng interface names (NUL-terminated strings), file
//! names and the terminal, so characters that would split, cut or drive those are
//! refused when the file is checked rather than mangled later.
//!
//! - Ids (of every object, and region names) follow AWS: resource ids such as
//!   `vpc-0a1b2c3d` are printable ASCII without whitespace; we allow any such
//!   character (free names like `web-a` too), 1 to 255 of them.
//! - Names (instance and host names, flow names, security group and prefix list
//!   names, a gateway endpoint's service, the topology's name) are like AWS `Name` tags: any
//!   printable Unicode, spaces inside included, 1 to 255 characters; no control or
//!   invisible formatting characters (see [`crate::escape::is_unprintable`]), no
//!   leading or trailing whitespace (invisible in every listing).
//! - Descriptions (of security group rules) are free text: like names, but may be
//!   empty.
//! - Flow names also name files (`latency/<flow>.hgrm`), so `.`, `..` and `/` are
//!   refused in them as well.

use crate::escape::is_unprintable;

/// Longest id or name, in characters (AWS tag values allow 256).
pub const MAX_LEN: usize = 255;

/// Why `id` is not a valid id, or `None`.
pub fn id_problem(id: &str) -> Option<String> {
    if id.is_empty() {
        return Some("an id cannot be empty".to_string());
    }
    if let Some(c) = id.chars().find(|c| !c.is_ascii_graphic()) {
        // The character itself is quoted raw: diagnostics are printed escaped.
        let what = if c == ' ' {
            "a space".to_string()
        } else if c.is_whitespace() || c.is_control() {
            format!("a control or whitespace character (`{c}`)")
        } else {
            format!("a non-ASCII character (`{c}`)")
        };
        return Some(format!(
            "an id cannot contain {what}; ids are printable ASCII without spaces, as AWS's are"
        ));
    }
    too_long(id)
}

/// Why `name` is not a valid name, or `None`.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name cannot be empty".to_string());
    }
    if let Some(p) = text_problem(name, "a name") {
        return Some(p);
    }
    if name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace) {
        return Some("a name cannot start or end with whitespace".to_string());
    }
    None
}

/// Why free text (a description) is not acceptable, or `None`: like a name, but
/// it may be empty or padded.
pub fn text_problem(text: &str, what: &str) -> Option<String> {
    if let Some(c) = text.chars().find(|&c| is_unprintable(c)) {
        return Some(format!(
            "{what} cannot contain control or invisible formatting characters (`{c}`)"
        ));
    }
    too_long(text)
}

/// Why `name` cannot name a flow (which also names its output files), or `None`.
pub fn flow_name_problem(name: &str) -> Option<String> {
    if let Some(p) = name_problem(name) {
        return Some(p);
    }
    if name == "." || name == ".." {
        return Some(format!(
            "a flow cannot be called `{name}`: flow names become file names"
        ));
    }
    if name.contains('/') {
        return Some("a flow name cannot contain `/`: flow names become file names".to_string());
    }
    None
}

/// Why `name` cannot name a cluster placement group, or `None`. AWS: "Up to 255
/// ASCII characters" (CreatePlacementGroup's `GroupName`); we also refuse an empty
/// name, control characters and leading or trailing spaces (invisible in every
/// listing). Before stop 15 any string passed, `""` and control characters too.
pub fn placement_group_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a placement group name cannot be empty".to_string());
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_graphic() || *c == ' ')) {
        let what = if c.is_ascii() {
            "a control character"
        } else {
            "a non-ASCII character"
        };
        return Some(format!(
            "a placement group name cannot contain {what} (`{c}`); AWS takes up to 255 printable ASCII characters"
        ));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        return Some("a placement group name cannot start or end with a space".to_string());
    }
    too_long(name)
}

fn too_long(s: &str) -> Option<String> {
    let n = s.chars().count();
    (n > MAX_LEN).then(|| format!("{n} characters is too long (at most {MAX_LEN})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placement_group_names_are_printable_ascii() {
        for ok in ["pg-hpc", "my group", "a.b_c:1"] {
            assert_eq!(placement_group_problem(ok), None, "{ok}");
        }
        let long = "g".repeat(256);
        for bad in [
            "",
            " pg",
            "pg ",
            "pg\u{1b}[31m",
            "pg\n",
            "pgé",
            "pg\u{202e}",
            &long,
        ] {
            assert!(placement_group_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn ids_are_printable_ascii_without_whitespace() {
        for ok in ["vpc-0a1b2c3d4e5f60718", "web_a", "i-1", "x.y:z@w"] {
            assert_eq!(id_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "vpc a",
            " vpc-a",
            "vpc-a\n",
            "a\0b",
            "a\u{1b}[2J",
            "vpc-é",
            "a\u{a0}",
        ] {
            assert!(id_problem(bad).is_some(), "{bad:?}");
        }
        assert!(id_problem(&"a".repeat(256)).is_some());
        assert_eq!(id_problem(&"a".repeat(255)), None);
    }

    #[test]
    fn names_are_printable_and_flow_names_are_file_names() {
        for ok in ["web server", "bäckerei", "a-b", "...x"] {
            assert_eq!(name_problem(ok), None, "{ok}");
            assert_eq!(flow_name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            " a",
            "a ",
            "a\tb",
            "a\nb",
            "a\0b",
            "a\u{1b}b",
            "a\u{202e}b",
        ] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
        for bad in [".", "..", "a/b", "/", ""] {
            assert!(flow_name_problem(bad).is_some(), "{bad:?}");
        }
    }
}
