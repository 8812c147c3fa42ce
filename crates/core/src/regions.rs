//! The region (country or territory) a phone number belongs to, by libphonenumber's metadata:
//! the SMS pumping breaker judges never-signed-in numbers per region as well as per prefix
//! ([`crate::pumping`]).
//!
//! A calling code is not a country: +1 is the US, Canada and twenty Caribbean countries and
//! territories (each with its own area codes), +7 is Russia and Kazakhstan, +44 the UK and the
//! Crown Dependencies. [`table`] holds what the metadata says of it: each calling code's main
//! region, and the leading digits that belong to another region of a shared code. It is
//! generated from the `phonenumber` crate and held to it by a test (`tests/regions.rs`, which
//! says how to regenerate it); the functions do not link the crate, whose database took 0.7 s
//! to load and 2.7 MB of binary, against create's budgets of 8 ms and 5 MB. The table is looked
//! up by the number's digits alone, so a number libphonenumber would not call valid still gets
//! the region its digits point to (or its calling code's main region).

use std::fmt;

use crate::phone::PhoneNumber;

pub mod table;

/// Where a number belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// A country or territory, by its ISO 3166-1 alpha-2 code (`US`, `JM`, `KZ`, `GG`).
    Country(&'static str),
    /// A non-geographic calling code (+800, +882, ...).
    NonGeographic(u16),
    /// A calling code the metadata does not assign (never a real number).
    Unassigned,
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Country(code) => f.write_str(code),
            Self::NonGeographic(code) => write!(f, "+{code}"),
            Self::Unassigned => f.write_str("unassigned"),
        }
    }
}

/// The region of `number`.
pub fn of(number: &PhoneNumber) -> Region {
    let digits = number.digits();
    // No calling code is a prefix of another, so the first that matches is the number's.
    let Some((code, main)) = (1..=3).find_map(|len| {
        let code = digits.get(..len)?.parse::<u16>().ok()?;
        let index = table::MAIN_REGION.binary_search_by_key(&code, |(c, _)| *c).ok()?;
        Some((code, table::MAIN_REGION[index].1))
    }) else {
        return Region::Unassigned;
    };
    // The longest leading digits listed for another region of the code, if any.
    let listed = (code.to_string().len() + 1..=digits.len().min(table_depth())).rev().find_map(|len| {
        let index = table::BY_PREFIX.binary_search_by_key(&&digits[..len], |(p, _)| *p).ok()?;
        Some(table::BY_PREFIX[index].1)
    });
    match listed.unwrap_or(main) {
        "001" => Region::NonGeographic(code),
        region => Region::Country(region),
    }
}

/// The longest leading digits the table lists.
fn table_depth() -> usize {
    table::BY_PREFIX.iter().map(|(p, _)| p.len()).max().unwrap_or(0)
}

/// The table's own copy of the region code `code`, if the table has it.
pub fn interned(code: &str) -> Option<&'static str> {
    table::MAIN_REGION.iter().map(|(_, r)| *r).chain(table::BY_PREFIX.iter().map(|(_, r)| *r)).find(|r| *r == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(raw: &str) -> String {
        of(&PhoneNumber::parse(raw).expect("a number")).to_string()
    }

    #[test]
    fn a_shared_calling_code_is_split_by_region() {
        assert_eq!(region("+14155550100"), "US");
        assert_eq!(region("+16135550100"), "CA");
        assert_eq!(region("+18765550100"), "JM");
        assert_eq!(region("+12425550100"), "BS");
        assert_eq!(region("+74951234567"), "RU");
        assert_eq!(region("+77012345678"), "KZ");
        assert_eq!(region("+447700900123"), "GB");
        assert_eq!(region("+447781123456"), "GG");
    }

    #[test]
    fn other_codes_are_their_country_and_the_rest_is_said_plainly() {
        assert_eq!(region("+33612345678"), "FR");
        assert_eq!(region("+919876543210"), "IN");
        assert_eq!(region("+88234567890"), "+882");
        assert_eq!(region("+99912345678"), "unassigned");
        assert_eq!(region("+15555550100"), "US", "an invalid +1 number falls to the main region");
    }

    #[test]
    fn the_table_is_sorted_for_binary_search() {
        assert!(table::MAIN_REGION.windows(2).all(|w| w[0].0 < w[1].0));
        assert!(table::BY_PREFIX.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
