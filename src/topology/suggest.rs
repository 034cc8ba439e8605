//! "Did you mean …?" for typos in keys, references, reason codes and protocols.

/// The candidate closest to `input` if it is plausibly a typo of it.
pub fn closest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut best: Option<(f64, &'a str)> = None;
    for c in candidates {
        let score = strsim::jaro_winkler(&input.to_ascii_lowercase(), &c.to_ascii_lowercase());
        let lev = strsim::levenshtein(input, c);
        // Accept close spellings, or short edit distances on short names.
        let plausible = score >= 0.8 || lev <= 2.max(input.len() / 4);
        if plausible && best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `; did you mean `x`?` or nothing.
pub fn did_you_mean<'a, I>(input: &str, candidates: I) -> String
where
    I: IntoIterator<Item = &'a str>,
{
    match closest(input, candidates) {
        Some(c) => format!("; did you mean `{c}`?"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            closest("vpc-aa", ["vpc-a", "vpc-b"].into_iter()),
            Some("vpc-a")
        );
        assert_eq!(
            closest("NACL_DENIED", ["NACL_DENY", "NO_ROUTE"]),
            Some("NACL_DENY")
        );
        assert_eq!(
            closest("secondry_cidrs", ["secondary_cidrs", "cidr"]),
            Some("secondary_cidrs")
        );
        assert_eq!(closest("zzzzzzzz", ["vpc-a"]), None);
        assert_eq!(did_you_mean("tpc", ["tcp", "udp"]), "; did you mean `tcp`?");
    }
}
