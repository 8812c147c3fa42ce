//! Phone numbers: the E.164 rule, masking, and the country allow-list.
//!
//! A [`PhoneNumber`] never prints itself in full: both `Display` and `Debug` show the masked form,
//! so a number that slips into a log line or an error message is still masked. The full number is
//! only reachable through [`PhoneNumber::expose`], which the SMS sender calls.

use std::fmt;

use crate::calling_codes;

/// Why a string is not an acceptable phone number. The messages are shown to clients (inside
/// Cognito's `UserLambdaValidationException`), so they explain the rule and never echo the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("phone_number must be in E.164 format: + then 8 to 15 digits, no leading 0, for example +14155550100")]
    NotE164,
}

/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not 0.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(raw: &str) -> Result<Self, PhoneError> {
        let digits = raw.strip_prefix('+').ok_or(PhoneError::NotE164)?;
        let well_formed =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if well_formed { Ok(Self(raw.to_owned())) } else { Err(PhoneError::NotE164) }
    }

    /// The full number, for the one place that needs it: the SMS request.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The digits after the `+`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }

    /// The number as clients and logs may see it, e.g. `+1******0100`.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({})", self.masked())
    }
}

/// Longest masked string we produce; anything longer is cut, so a hostile username cannot make
/// the public challenge parameters or a log line large.
const MASK_MAX_CHARS: usize = 20;

/// Masks any string the way a phone number is masked: the `+` and the first digit stay, the last
/// four characters stay, everything between becomes `*`. Short strings are masked entirely.
///
/// It takes a plain string because unknown users (`userNotFound: true`) only have the username
/// the client typed, and their masked number must look like a real user's.
pub fn mask(raw: &str) -> String {
    let chars: Vec<char> =
        raw.chars().take(MASK_MAX_CHARS).map(|c| if c.is_ascii_alphanumeric() || c == '+' { c } else { '*' }).collect();
    let head = if chars.first() == Some(&'+') { 2 } else { 1 };
    let tail = 4;
    // Keep at least four hidden characters, or there is nothing worth hiding.
    if chars.len() < head + tail + 4 {
        return chars.iter().enumerate().map(|(i, &c)| if i == 0 && c == '+' { '+' } else { '*' }).collect();
    }
    let hidden = chars.len() - head - tail;
    let mut out = String::with_capacity(chars.len());
    out.extend(&chars[..head]);
    out.extend(std::iter::repeat_n('*', hidden));
    out.extend(&chars[head + hidden..]);
    out
}

/// The calling codes (`1`, `44`, `91`, ...) whose numbers may sign up and receive codes.
/// Empty means every country.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CountryAllowList(Vec<String>);

impl CountryAllowList {
    /// Parses `1,44,91`. Each code must be an assigned calling code ([`calling_codes`]): `4`
    /// would otherwise let in every number from +40 to +49. Spaces are allowed.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let mut codes = Vec::new();
        for code in raw.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !calling_codes::is_assigned(code) {
                return Err(format!(
                    "a comma-separated list of assigned country calling codes, like 1,44,91 (`{code}` is not one)"
                ));
            }
            codes.push(code.to_owned());
        }
        Ok(Self(codes))
    }

    pub fn allows(&self, number: &PhoneNumber) -> bool {
        self.0.is_empty() || self.0.iter().any(|code| number.digits().starts_with(code.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_e164_numbers() {
        for ok in ["+14155550100", "+447700900123", "+12345678", "+123456789012345"] {
            assert!(PhoneNumber::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "+",
            "14155550100",
            "+1234567",          // 7 digits
            "+1234567890123456", // 16 digits
            "+04155550100",
            "+1 415 555 0100",
            "+1-415-555-0100",
            "+1415555010a",
            " +14155550100",
            "+14155550100\n",
            "+１４１５５５５０１００", // full-width digits
        ] {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneError::NotE164), "{bad:?}");
        }
    }

    #[test]
    fn masks_like_the_spec_example() {
        let n = PhoneNumber::parse("+15555550100").unwrap();
        assert_eq!(n.masked(), "+1******0100");
        assert_eq!(n.to_string(), "+1******0100");
        assert_eq!(format!("{n:?}"), "PhoneNumber(+1******0100)");
    }

    #[test]
    fn masking_never_shows_a_short_or_odd_string() {
        assert_eq!(mask(""), "");
        assert_eq!(mask("+1234"), "+****");
        assert_eq!(mask("12345678"), "********");
        assert_eq!(mask("alice@example.com"), "a*************com");
        assert_eq!(mask(&"9".repeat(100)).len(), MASK_MAX_CHARS);
    }

    #[test]
    fn allow_list_matches_calling_code_prefixes() {
        let list = CountryAllowList::parse("1, 44,91").unwrap();
        let us = PhoneNumber::parse("+14155550100").unwrap();
        let uk = PhoneNumber::parse("+447700900123").unwrap();
        let fr = PhoneNumber::parse("+33612345678").unwrap();
        assert!(list.allows(&us) && list.allows(&uk));
        assert!(!list.allows(&fr));
        assert!(CountryAllowList::parse("").unwrap().allows(&fr));
    }

    #[test]
    fn allow_list_rejects_bad_codes() {
        for bad in ["+1", "0", "1234", "1,x", "44;91", "4", "1,42", "999"] {
            assert!(CountryAllowList::parse(bad).is_err(), "{bad}");
        }
    }
}
