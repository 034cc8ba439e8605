//! AWS's commercial, GovCloud and China Regions and their Availability Zones, so
//! that a region that does not exist (`eu-west-9`) or an AZ a region does not
//! have (`eu-west-1d`) is an error, as AWS rejects it.
//!
//! Source: AWS, "AWS Availability Zones" and "AZ IDs"
//! (<https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-availability-zones.html>,
//! <https://docs.aws.amazon.com/global-infrastructure/latest/regions/az-ids.html>),
//! read in 2025. AZ names are the Region code and a letter; in the oldest Regions
//! AWS maps letters to physical zones per account, so the letters below are every
//! letter some account sees (e.g. `ap-northeast-1b` exists only for old accounts).
//! An AZ ID (`use1-az1`) is the same physical zone in every account; its prefix is
//! the Region code shortened (`us-east-1` → `use1`) and its number is at most
//! `max_az_id`. Local Zones and Wavelength Zones (`us-east-1-bos-1a`) are accepted
//! by shape: they are too many and change too often for a table.
//! A Region AWS opens later is one line here.

/// One Region: its code, the AZ letters accounts see, the highest AZ ID number.
pub struct RegionInfo {
    pub code: &'static str,
    pub letters: &'static str,
    pub max_az_id: u8,
}

const fn r(code: &'static str, letters: &'static str, max_az_id: u8) -> RegionInfo {
    RegionInfo {
        code,
        letters,
        max_az_id,
    }
}

/// Every Region, by code.
pub const REGIONS: &[RegionInfo] = &[
    r("us-east-1", "abcdef", 6),
    r("us-east-2", "abc", 3),
    r("us-west-1", "abc", 3),
    r("us-west-2", "abcd", 4),
    r("af-south-1", "abc", 3),
    r("ap-east-1", "abc", 3),
    r("ap-east-2", "abc", 3),
    r("ap-south-1", "abc", 3),
    r("ap-south-2", "abc", 3),
    r("ap-southeast-1", "abc", 3),
    r("ap-southeast-2", "abc", 3),
    r("ap-southeast-3", "abc", 3),
    r("ap-southeast-4", "abc", 3),
    r("ap-southeast-5", "abc", 3),
    r("ap-southeast-7", "abc", 3),
    r("ap-northeast-1", "abcd", 4),
    r("ap-northeast-2", "abcd", 4),
    r("ap-northeast-3", "abc", 3),
    r("ca-central-1", "abd", 4),
    r("ca-west-1", "abc", 3),
    r("eu-central-1", "abc", 3),
    r("eu-central-2", "abc", 3),
    r("eu-west-1", "abc", 3),
    r("eu-west-2", "abc", 3),
    r("eu-west-3", "abc", 3),
    r("eu-south-1", "abc", 3),
    r("eu-south-2", "abc", 3),
    r("eu-north-1", "abc", 3),
    r("il-central-1", "abc", 3),
    r("me-south-1", "abc", 3),
    r("me-central-1", "abc", 3),
    r("mx-central-1", "abc", 3),
    r("sa-east-1", "abc", 3),
    r("us-gov-east-1", "abc", 3),
    r("us-gov-west-1", "abc", 3),
    r("cn-north-1", "abd", 4),
    r("cn-northwest-1", "abc", 3),
];

/// The Region with this code.
pub fn region(code: &str) -> Option<&'static RegionInfo> {
    REGIONS.iter().find(|r| r.code == code)
}

/// The AZ ID prefix of a Region code: `us-east-1` → `use1`, `ap-northeast-1` →
/// `apne1`, `us-gov-west-1` → `usgw1` (AWS's documented shortening).
pub fn az_id_prefix(code: &str) -> String {
    let parts: Vec<&str> = code.split('-').collect();
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i == 0 {
            out.push_str(p);
            continue;
        }
        let short = match *p {
            "northeast" => "ne",
            "northwest" => "nw",
            "southeast" => "se",
            "southwest" => "sw",
            "gov" => "g",
            other => other.get(..1).unwrap_or(""),
        };
        if p.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(p);
        } else {
            out.push_str(short);
        }
    }
    out
}

/// What is wrong with `az` as an Availability Zone of `region` (a known Region,
/// the region of VPC `vpc_id`), or `None` if AWS has it.
pub fn az_problem(region: &RegionInfo, az: &str, vpc_id: &str) -> Option<String> {
    let code = region.code;
    if let Some(rest) = az.strip_prefix(code) {
        let mut chars = rest.chars();
        return match (chars.next(), chars.next()) {
            (Some(l), None) if region.letters.contains(l) => None,
            (Some(_), None) => Some(format!(
                "{code} has no availability zone `{az}`; its zones are {}",
                letters_list(region)
            )),
            // A Local Zone or Wavelength Zone of the Region (`us-east-1-bos-1a`).
            (Some('-'), Some(_)) => None,
            _ => Some(format!(
                "`{az}` is not an availability zone of {code}; its zones are {}",
                letters_list(region)
            )),
        };
    }
    let prefix = az_id_prefix(code);
    if let Some(n) = az.strip_prefix(&prefix).and_then(|x| x.strip_prefix("-az")) {
        return match n.parse::<u8>() {
            Ok(k) if (1..=region.max_az_id).contains(&k) => None,
            _ => Some(format!(
                "{code} has no availability zone ID `{az}`; its AZ IDs are {prefix}-az1 to {prefix}-az{}",
                region.max_az_id
            )),
        };
    }
    Some(format!(
        "availability zone `{az}` is not in {vpc_id}'s region {code} (expected e.g. `{code}a`); a subnet lives in one AZ of its VPC's region"
    ))
}

fn letters_list(region: &RegionInfo) -> String {
    region
        .letters
        .chars()
        .map(|l| format!("{}{l}", region.code))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn az_id_prefixes_follow_aws() {
        assert_eq!(az_id_prefix("us-east-1"), "use1");
        assert_eq!(az_id_prefix("ap-northeast-1"), "apne1");
        assert_eq!(az_id_prefix("eu-central-2"), "euc2");
        assert_eq!(az_id_prefix("us-gov-west-1"), "usgw1");
        assert_eq!(az_id_prefix("sa-east-1"), "sae1");
    }

    #[test]
    fn azs_are_checked_against_the_table() {
        let us = region("us-east-1").expect("us-east-1");
        let eu = region("eu-west-1").expect("eu-west-1");
        assert!(region("eu-west-9").is_none());
        assert_eq!(az_problem(us, "us-east-1f", "vpc-a"), None);
        assert_eq!(az_problem(us, "use1-az6", "vpc-a"), None);
        assert_eq!(az_problem(us, "us-east-1-bos-1a", "vpc-a"), None);
        assert!(az_problem(eu, "eu-west-1d", "vpc-a")
            .is_some_and(|m| m.contains("eu-west-1a, eu-west-1b, eu-west-1c")));
        assert!(az_problem(eu, "euw1-az4", "vpc-a").is_some());
        assert!(az_problem(us, "eu-west-1a", "vpc-a").is_some());
        assert!(az_problem(us, "us-east-1ab", "vpc-a").is_some());
        // Every Region has at least three zones (AWS's documented minimum).
        assert!(REGIONS.iter().all(|r| r.letters.len() >= 3));
    }
}
