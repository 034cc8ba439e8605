//! The documentation cannot drift from the program: the format reference's TOML
//! snippets form one valid topology, every `peeremu` command line and option table
//! in the docs names only flags the command has, and every relative link leads to a
//! file of the repository.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page under docs/.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![repo().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo().join("docs"))
        .expect("docs/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    assert!(docs.len() >= 5, "the docs pages are there: {docs:?}");
    pages.extend(docs);
    pages
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The contents of the fenced blocks of `lang` in `text`.
fn fenced(text: &str, lang: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("```") {
            match current.take() {
                Some(b) => blocks.push(b),
                None if rest == lang => current = Some(String::new()),
                None => current = Some(String::from("\u{0}")), // another language
            }
            continue;
        }
        if let Some(b) = current.as_mut() {
            b.push_str(line);
            b.push('\n');
        }
    }
    blocks.retain(|b| !b.starts_with('\u{0}'));
    blocks
}

/// The format reference is one topology split into snippets: together they must
/// load, and every top-level key of the format is documented.
#[test]
fn format_reference_snippets_form_a_valid_topology() {
    let path = repo().join("docs/topology-format.md");
    let text = read(&path);
    let toml: String = fenced(&text, "toml").concat();
    assert!(toml.contains("[[flow]]"), "no toml snippets found");
    let net = match peeremu::topology::load_str(&toml, "docs/topology-format.md") {
        Ok(n) => n,
        Err(e) => panic!("docs/topology-format.md snippets are invalid:\n{e}\n{toml}"),
    };
    assert_eq!(net.name, "readme-example");
    assert_eq!(net.vpcs.len(), 2);
    assert!(net.flows.len() >= 2);
    // The second flow is the request/response example.
    assert!(net.flows[1].request_response.is_some());
    // Every top-level key is documented, in the format page or a page of its own
    // (transit gateways).
    let all: String = pages().iter().map(|p| read(p)).collect();
    for key in peeremu::topology::format::TOP_LEVEL_KEYS {
        let table = format!("[[{key}]]");
        let single = format!("[{key}]");
        assert!(
            all.contains(&table) || all.contains(&single) || all.contains(&format!("{key} =")),
            "no page of docs/ documents `{key}`"
        );
    }
}

/// `peeremu SUB --help`, once per subcommand.
struct Helps(BTreeMap<String, String>);

impl Helps {
    fn get(&mut self, sub: &str) -> &str {
        self.0.entry(sub.to_string()).or_insert_with(|| {
            let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
                .args(sub.split(' ').chain(["--help"]))
                .output()
                .expect("peeremu runs");
            assert!(out.status.success(), "peeremu {sub} --help fails");
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
    }
}

/// The `--flags` of a command line (up to a comment or a pipe).
fn flags(command_line: &str) -> Vec<&str> {
    let line = command_line.split(" #").next().unwrap_or("");
    let line = line.split(" | ").next().unwrap_or("");
    line.split(|c: char| c.is_whitespace() || "[]()`,=|".contains(c))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| w.trim_end_matches(['.', ':', ';']))
        .collect()
}

/// The subcommand a line runs (`peeremu run …`, `cargo run --release -- run …`)
/// and the rest of the line after it (where its flags are).
fn subcommand(line: &str) -> Option<(String, &str)> {
    let rest = if let Some(i) = line.find("peeremu ") {
        &line[i + "peeremu ".len()..]
    } else if let Some(i) = line.find("cargo run --release -- ") {
        &line[i + "cargo run --release -- ".len()..]
    } else {
        return None;
    };
    let word = rest.split_whitespace().next()?;
    let after = &rest[rest.find(word).unwrap_or(0) + word.len()..];
    word.chars()
        .all(|c| c.is_ascii_lowercase())
        .then(|| (word.to_string(), after))
}

/// The subcommands `peeremu --help` lists.
fn subcommands() -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_peeremu"))
        .arg("--help")
        .output()
        .expect("peeremu runs");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    let list = help
        .split("Commands:")
        .nth(1)
        .expect("peeremu --help lists its commands");
    let subs: Vec<String> = list
        .lines()
        .skip(1) // the rest of the "Commands:" line
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| *w != "help")
        .map(str::to_string)
        .collect();
    assert!(subs.iter().any(|s| s == "run"), "{help}");
    subs
}

#[test]
fn every_flag_the_docs_name_exists() {
    let mut helps = Helps(BTreeMap::new());
    let subs = subcommands();
    let mut checked = 0;
    for page in pages() {
        let text = read(&page);
        let mut section_sub: Option<String> = None;
        for (n, line) in text.lines().enumerate() {
            let at = format!("{}:{}", page.display(), n + 1);
            // A `## peeremu run` heading: option tables below belong to `run`.
            if let Some(h) = line.strip_prefix("## peeremu ") {
                section_sub = h.split_whitespace().next().map(str::to_string);
            } else if line.starts_with("# ") || line.starts_with("## ") {
                section_sub = None;
            }
            let found = subcommand(line).or_else(|| {
                line.starts_with("| `--")
                    .then(|| section_sub.clone().map(|s| (s, line)))
                    .flatten()
            });
            let Some((sub, rest)) = found else { continue };
            if !subs.contains(&sub) {
                continue; // prose such as "peeremu is …"
            }
            // A nested subcommand (`import aws`) has flags of its own.
            let mut help = helps.get(&sub).to_string();
            if let Some(next) = rest.split_whitespace().next() {
                let listed = help
                    .split("Commands:")
                    .nth(1)
                    .is_some_and(|l| l.lines().any(|x| x.split_whitespace().next() == Some(next)));
                if listed {
                    help = helps.get(&format!("{sub} {next}")).to_string();
                }
            }
            for flag in flags(rest) {
                assert!(
                    help.contains(&format!("{flag} "))
                        || help.contains(&format!("{flag}\n"))
                        || help.contains(&format!("{flag}="))
                        || help.contains(&format!("{flag},")),
                    "{at}: `peeremu {sub}` has no flag {flag}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 20, "only {checked} flags found in the docs");
}

#[test]
fn relative_links_lead_to_files() {
    for page in pages() {
        let text = read(&page);
        let dir = page.parent().expect("a page has a folder");
        let mut rest = text.as_str();
        while let Some(i) = rest.find("](") {
            rest = &rest[i + 2..];
            let Some(end) = rest.find(')') else { break };
            let target = &rest[..end];
            if target.starts_with("http") || target.starts_with('#') || target.contains(' ') {
                continue;
            }
            let file = target.split('#').next().unwrap_or(target);
            assert!(
                dir.join(file).exists(),
                "{}: link to {target}, which does not exist",
                page.display()
            );
        }
    }
}

#[test]
fn the_docs_point_to_nothing_outside_the_repository() {
    for page in pages() {
        let text = read(&page);
        assert!(
            !text.contains("DESIGN.md"),
            "{} refers to DESIGN.md, which is not in the repository (docs/aws-behaviour.md is)",
            page.display()
        );
    }
}

#[test]
fn every_drop_reason_is_documented() {
    let text = read(&repo().join("docs/topology-format.md"));
    for r in peeremu::model::DropReason::ALL {
        assert!(
            text.contains(&format!("`{}`", r.code())),
            "docs/topology-format.md does not list the reason {}",
            r.code()
        );
    }
}

/// Every `peeremu compare` or `peeremu run` output quoted in README.md or docs/ (a
/// fenced block whose first line is `$ peeremu compare A B` or `$ peeremu run F`)
/// is what the command prints today: each
/// quoted line appears verbatim, in order, in its output (a line with `…` stands
/// for lines left out of a trimmed quote, or has wall-clock figures, and is not
/// compared). Latencies, MTUs and costs in the docs thus
/// cannot drift from the program.
#[test]
fn command_outputs_quoted_in_the_docs_are_what_the_commands_print() {
    let mut quoted = 0;
    for page in pages() {
        let text = read(&page);
        for block in fenced(&text, "text").into_iter().chain(fenced(&text, "")) {
            let mut lines = block.lines();
            let first = lines.next().unwrap_or("");
            let out_dir = std::env::temp_dir().join(format!("peeremu-docs-{}", std::process::id()));
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_peeremu"));
            let args = if let Some(a) = first.strip_prefix("$ peeremu compare ") {
                cmd.arg("compare");
                a
            } else if let Some(a) = first.strip_prefix("$ peeremu run ") {
                cmd.args(["run", "--no-report", "--out"]).arg(&out_dir);
                a
            } else {
                continue;
            };
            let out = cmd
                .args(args.split_whitespace())
                .current_dir(repo())
                .output()
                .expect("run peeremu");
            let _ = std::fs::remove_dir_all(&out_dir);
            let printed = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{}: peeremu compare {args}",
                page.display()
            );
            let mut rest = printed.lines();
            // `…` stands for lines left out, or for figures that vary from run to
            // run (wall-clock rates): such lines are not compared, nor `run`'s
            // output folder (the test writes to a temporary one) and wall time.
            let varies =
                |l: &str| l.contains('…') || l.starts_with("outputs: ") || l.starts_with("wall ");
            for want in lines.filter(|l| !varies(l)) {
                assert!(
                    rest.any(|got| got == want),
                    "{}: `{want}` is not (in this order) in what `{first}` prints:\n{printed}",
                    page.display()
                );
            }
            quoted += 1;
        }
    }
    assert!(
        quoted >= 2,
        "README.md and docs/transit-gateway.md quote it"
    );
}
