//! The region table (`src/regions/table.rs`) is libphonenumber's metadata, as the `phonenumber`
//! crate ships it, boiled down to what the SMS pumping breaker needs: the region of each calling
//! code, and, inside the calling codes several regions share (+1: the US, Canada and the
//! Caribbean; +7: Russia and Kazakhstan; +44: the UK and the Crown Dependencies; ...), which
//! leading digits belong to which region. The functions cannot link the crate itself: loading its
//! database took 0.7 s and its binary 2.7 MB (see `crate::regions`).
//!
//! This test generates the table again and fails when the committed one differs. To regenerate:
//!
//! ```text
//! REGENERATE=1 cargo test -p sms-otp-core --test regions
//! ```

use std::collections::{BTreeMap, BTreeSet};

use phonenumber::metadata::{DATABASE, Descriptor, Metadata};
use sms_otp_core::phone::PhoneNumber;
use sms_otp_core::regions::{self, Region};

const TABLE: &str = "src/regions/table.rs";
/// Leading digits looked at, at most, after the calling code.
const MAX_DEPTH: usize = 6;

/// The region libphonenumber gives a valid number, `None` for a number it does not consider valid.
fn region(code: u16, national: &str) -> Option<String> {
    let number = phonenumber::parse(None, format!("+{code}{national}")).ok()?;
    if !phonenumber::is_valid(&number) {
        return None;
    }
    number.country().id().map(|id| id.as_ref().to_owned())
}

fn descriptors(meta: &Metadata) -> impl Iterator<Item = &Descriptor> {
    let d = meta.descriptors();
    [
        d.fixed_line(),
        d.mobile(),
        d.toll_free(),
        d.premium_rate(),
        d.voip(),
        d.uan(),
        d.pager(),
        d.personal_number(),
        d.shared_cost(),
        d.voicemail(),
    ]
    .into_iter()
    .flatten()
}

/// A calling code shared by several regions, explored digit by digit: every prefix whose sample
/// numbers (the prefix padded with each digit, at the lengths of the regions' mobile numbers,
/// where SMS go) fall in one region is a leaf; a prefix whose samples disagree, that leads to an
/// example number of the metadata, or (for +1, whose regions are its three-digit area codes) is
/// shorter than three digits, is looked into further. Returns each leaf's region.
fn explore(code: u16, metas: &[&Metadata]) -> BTreeMap<String, String> {
    let lengths: BTreeSet<usize> = metas
        .iter()
        .filter_map(|m| m.descriptors().mobile().or(m.descriptors().fixed_line()))
        .flat_map(|d| d.possible_length().iter().map(|&l| usize::from(l)))
        .collect();
    let examples: Vec<String> =
        metas.iter().flat_map(|m| descriptors(m)).filter_map(|d| d.example().map(str::to_owned)).collect();
    let min_depth = if code == 1 { 3 } else { 1 };
    let mut leaves = BTreeMap::new();
    let mut todo = vec![String::new()];
    while let Some(prefix) = todo.pop() {
        let mut seen = BTreeSet::new();
        for digit in '0'..='9' {
            for &length in lengths.iter().filter(|&&l| l > prefix.len()) {
                let sample: String = prefix.chars().chain(std::iter::repeat_n(digit, length - prefix.len())).collect();
                seen.extend(region(code, &sample));
            }
        }
        let leads_to_example = examples.iter().any(|e| e.len() > prefix.len() && e.starts_with(&prefix));
        let deeper = seen.len() > 1 || prefix.len() < min_depth || leads_to_example;
        if deeper && prefix.len() < MAX_DEPTH {
            todo.extend(('0'..='9').map(|d| format!("{prefix}{d}")));
        } else if let Some(first) = seen.iter().next() {
            assert_eq!(seen.len(), 1, "+{code} {prefix}: {seen:?} at the deepest level");
            leaves.insert(prefix, first.clone());
        }
    }
    leaves
}

/// Replaces the leaves under a prefix by the prefix itself wherever they all agree (prefixes
/// with no valid number take any region), bottom up, so the table keeps one entry where it can.
fn compress(mut leaves: BTreeMap<String, String>) -> BTreeMap<String, String> {
    for depth in (1..=MAX_DEPTH).rev() {
        let parents: BTreeSet<String> =
            leaves.keys().filter(|p| p.len() == depth).map(|p| p[..depth - 1].to_owned()).collect();
        for parent in parents {
            let children: BTreeSet<&String> = leaves
                .iter()
                .filter(|(p, _)| p.len() > parent.len() && p.starts_with(&parent))
                .map(|(_, r)| r)
                .collect();
            let direct_only = leaves.keys().filter(|p| p.starts_with(&parent)).all(|p| p.len() <= depth);
            if children.len() == 1 && direct_only {
                let region = (*children.iter().next().expect("one")).clone();
                leaves.retain(|p, _| !(p.len() > parent.len() && p.starts_with(&parent)));
                leaves.insert(parent, region);
            }
        }
    }
    leaves
}

fn generate() -> String {
    // By calling code, not by region: the non-geographic codes share one region id (001).
    let codes: BTreeMap<u16, Vec<&Metadata>> =
        (1..=999).filter_map(|code| Some((code, DATABASE.by_code(&code)?))).collect();
    let mut mains = Vec::new();
    let mut by_prefix = BTreeMap::new();
    for (&code, metas) in &codes {
        let main = metas.iter().find(|m| m.is_main_country_for_code()).unwrap_or(&metas[0]).id();
        mains.push(format!("    ({code}, \"{main}\"),\n"));
        if metas.len() > 1 {
            for (prefix, region) in compress(explore(code, metas)) {
                if region != main {
                    by_prefix.insert(format!("{code}{prefix}"), region);
                }
            }
        }
    }
    let prefixes: String = by_prefix.iter().map(|(p, r)| format!("    (\"{p}\", \"{r}\"),\n")).collect();
    format!(
        "//! Generated by `REGENERATE=1 cargo test -p sms-otp-core --test regions` from libphonenumber's\n\
         //! metadata (the `phonenumber` crate, {version}); do not edit. See `crate::regions`.\n\n\
         /// Every calling code with its main region (`001`: non-geographic), ascending.\n\
         pub const MAIN_REGION: [(u16, &str); {n_main}] = [\n{mains}];\n\n\
         /// In the calling codes several regions share, the leading digits (calling code included)\n\
         /// of the numbers that are not the main region's, ascending; the longest match wins.\n\
         pub const BY_PREFIX: [(&str, &str); {n_prefix}] = [\n{prefixes}];\n",
        version = "0.3.10+9.0.33",
        n_main = mains.len(),
        mains = mains.concat(),
        n_prefix = by_prefix.len(),
    )
}

#[test]
fn the_region_table_is_libphonenumbers() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TABLE);
    let generated = generate();
    if std::env::var_os("REGENERATE").is_some() {
        std::fs::write(&path, &generated).expect("write the table");
    }
    let committed = std::fs::read_to_string(&path).expect("the committed table");
    assert!(
        committed == generated,
        "{TABLE} differs from libphonenumber's metadata; regenerate it: REGENERATE=1 cargo test -p sms-otp-core --test regions"
    );
}

/// Every example number of the metadata (mobile ones: where SMS go) gets the region the library
/// gives it.
#[test]
fn every_example_mobile_number_is_in_the_librarys_region() {
    let mut checked = 0;
    for meta in DATABASE.iter() {
        let Some(example) = meta.descriptors().mobile().and_then(Descriptor::example) else { continue };
        let Some(expected) = region(meta.country_code(), example) else { continue };
        let raw = format!("+{}{example}", meta.country_code());
        let Ok(number) = PhoneNumber::parse(&raw) else { continue };
        let found = regions::of(&number);
        let expected = if expected == "001" {
            Region::NonGeographic(meta.country_code())
        } else {
            Region::Country(regions::interned(&expected).expect("a region of the table"))
        };
        assert_eq!(found, expected, "{raw}");
        checked += 1;
    }
    assert!(checked > 200, "only {checked} example numbers checked");
}
