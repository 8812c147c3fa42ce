//! The country calling codes assigned under ITU-T E.164, for `ALLOWED_COUNTRY_CODES`.
//!
//! Taken from Google's libphonenumber metadata, as shipped by the `phonenumbers` package on PyPI
//! (version 9.0.43, `phonenumbers.COUNTRY_CODE_TO_REGION_CODE`): every calling code with a
//! numbering plan, the geographic ones and the nine non-geographic ones (800, 808, 870, 878, 881,
//! 882, 883, 888, 979). No code is a prefix of another, so "the number starts with the code" is
//! exact. Regenerate, and paste the result here and into `AllowedCountryCodes`' pattern in
//! `template.yaml` (the template test holds the two together):
//!
//! ```text
//! pip install phonenumbers==9.0.43
//! python3 -c 'import phonenumbers as p; print(sorted(p.COUNTRY_CODE_TO_REGION_CODE))'
//! ```

/// Ascending.
pub const CALLING_CODES: [u16; 215] = [
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60,
    61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211, 212, 213, 216, 218, 220, 221, 222, 223,
    224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246,
    247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290,
    291, 297, 298, 299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377, 378,
    380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506, 507, 508, 509, 590, 591,
    592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676, 677, 678, 679, 680, 681, 682, 683, 685, 686,
    687, 688, 689, 690, 691, 692, 800, 808, 850, 852, 853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961,
    962, 963, 964, 965, 966, 967, 968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
];

/// Whether `code` (digits, no `+`) is an assigned calling code.
pub fn is_assigned(code: &str) -> bool {
    (1..=3).contains(&code.len())
        && !code.starts_with('0')
        && code.bytes().all(|b| b.is_ascii_digit())
        && code.parse::<u16>().is_ok_and(|n| CALLING_CODES.binary_search(&n).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_prefix_free() {
        assert!(CALLING_CODES.windows(2).all(|w| w[0] < w[1]));
        for a in CALLING_CODES {
            for b in CALLING_CODES {
                assert!(a == b || !b.to_string().starts_with(&a.to_string()), "{a} is a prefix of {b}");
            }
        }
    }

    #[test]
    fn assigned_and_not() {
        for ok in ["1", "7", "20", "44", "91", "351", "998", "800"] {
            assert!(is_assigned(ok), "{ok}");
        }
        for bad in ["", "0", "01", "4", "2", "21", "28", "42", "999", "1000", "+1", " 1", "1a"] {
            assert!(!is_assigned(bad), "{bad:?}");
        }
    }
}
