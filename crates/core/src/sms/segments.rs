//! How many SMS a text is billed as: its encoding (GSM-7 or UCS-2) and its segment count.
//!
//! Carriers bill per *segment*. A text that fits the GSM 7-bit alphabet (3GPP TS 23.038: basic
//! table, plus the extension table whose characters take two septets) goes as one segment of up
//! to 160 septets, or as several of 153 (7 go to the concatenation header). Any other character
//! (an emoji, `ç`, Cyrillic, ...) switches the whole text to UCS-2: one segment of 70 UTF-16
//! units, or several of 67. See AWS End User Messaging, "SMS character limits":
//! <https://docs.aws.amazon.com/sms-voice/latest/userguide/sms-limitations-character.html>.
//!
//! Written out here rather than taken from a crate: the alphabet is a fixed table of the
//! standard, and create-auth-challenge's binary has a size budget that the crates we found
//! (which bring Unicode normalisation tables) would strain.

/// The GSM 7-bit default alphabet (one septet each), in table order.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: each takes two septets (an escape, then the character).
const GSM7_EXTENSION: &str = "\u{c}^{}\\[~]|€";

/// How a text is encoded on the air.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

impl Encoding {
    pub fn name(self) -> &'static str {
        match self {
            Self::Gsm7 => "GSM-7",
            Self::Ucs2 => "UCS-2",
        }
    }
}

/// A text's encoding, its length in that encoding's units, and the segments it is billed as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segments {
    pub encoding: Encoding,
    /// Septets (GSM-7) or UTF-16 units (UCS-2).
    pub units: usize,
    pub count: usize,
}

/// Works out how `text` goes out.
pub fn of(text: &str) -> Segments {
    let septets: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM7_BASIC.contains(c) {
                Some(1)
            } else if GSM7_EXTENSION.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (encoding, units, single, multi) = match septets {
        Some(septets) => (Encoding::Gsm7, septets, 160, 153),
        None => (Encoding::Ucs2, text.encode_utf16().count(), 70, 67),
    };
    let count = if units <= single { 1 } else { units.div_ceil(multi) };
    Segments { encoding, units, count }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_gsm7_up_to_160_then_153_a_segment() {
        assert_eq!(of(""), Segments { encoding: Encoding::Gsm7, units: 0, count: 1 });
        assert_eq!(of(&"a".repeat(160)).count, 1);
        assert_eq!(of(&"a".repeat(161)).count, 2);
        assert_eq!(of(&"a".repeat(306)).count, 2);
        assert_eq!(of(&"a".repeat(307)).count, 3);
        let default = "123456 is your Acme sign-in code. It expires in 5 minutes.";
        assert_eq!(of(default).encoding, Encoding::Gsm7);
    }

    #[test]
    fn extension_characters_take_two_septets() {
        assert_eq!(of("€").units, 2);
        assert_eq!(of(&format!("{}{{", "a".repeat(158))).count, 1, "158 + 2 = 160");
        assert_eq!(of(&format!("{}{{", "a".repeat(159))).count, 2, "159 + 2 = 161");
    }

    #[test]
    fn anything_outside_the_alphabet_makes_it_ucs2() {
        assert_eq!(of("Ça marche").encoding, Encoding::Gsm7, "Ç is in the basic table");
        assert_eq!(of("123456 : votre code reçu").encoding, Encoding::Ucs2, "ç is not");
        assert_eq!(of(&"é".repeat(200)).encoding, Encoding::Gsm7, "é is in the basic table");
        assert_eq!(of(&"ж".repeat(70)).count, 1);
        assert_eq!(of(&"ж".repeat(71)).count, 2);
        assert_eq!(of(&"ж".repeat(135)).count, 3);
        assert_eq!(of("🔐").units, 2, "an emoji is two UTF-16 units");
    }
}
