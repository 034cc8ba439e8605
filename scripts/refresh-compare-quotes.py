#!/usr/bin/env python3
"""Refresh every `peeremu compare` output quoted in README.md and docs/*.md.

A quote is a fenced block whose first line is `$ peeremu compare ARGS`. A whole
quote is replaced by what the command prints now; a trimmed one (with `…` lines)
keeps the same flows and trims the rest again. tests/docs.rs
(compare_outputs_quoted_in_the_docs_are_what_the_command_prints) fails when a quote
has drifted; run this after a change that moves the figures (from the repository
root, after `cargo build --release`).
"""
import glob
import subprocess

PEEREMU = "target/release/peeremu"


def groups(lines):
    """Split the table into (header, [(flow, lines)], trailer)."""
    header, rows, trailer = lines[0], [], []
    for line in lines[1:]:
        if line.startswith("data cost of the run"):
            trailer.append(line)
        elif line.startswith(" ") and rows:
            rows[-1][1].append(line)
        else:
            rows.append((line.split()[0], [line]))
    return header, rows, trailer


def refresh(block_lines):
    args = block_lines[0][len("$ peeremu compare "):].split()
    out = subprocess.run(
        [PEEREMU, "compare", *args], capture_output=True, text=True, check=True
    ).stdout.rstrip("\n").split("\n")
    quoted = block_lines[1:]
    if not any(line.strip() == "…" for line in quoted):
        return [block_lines[0], *out]
    keep = {line.split()[0] for line in quoted[1:]
            if line and not line.startswith((" ", "…", "data cost"))}
    header, rows, trailer = groups(out)
    new, gap = [block_lines[0], header], False
    for flow, lines in rows:
        if flow in keep:
            new.extend(lines)
            gap = False
        elif not gap:
            new.append("…")
            gap = True
    return new + trailer


for page in ["README.md", *sorted(glob.glob("docs/*.md"))]:
    text = open(page, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(text):
        line = text[i]
        out.append(line)
        i += 1
        if line.strip().startswith("```") and i < len(text) and text[i].startswith("$ peeremu compare "):
            end = i
            while not text[end].strip().startswith("```"):
                end += 1
            out.extend(refresh(text[i:end]))
            i = end
    new = "\n".join(out)
    if new != "\n".join(text):
        open(page, "w", encoding="utf-8").write(new)
        print("refreshed", page)
