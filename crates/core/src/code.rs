//! One-time codes: drawn from the OS CSPRNG, uniform over all `10^n` values, compared in
//! constant time, and never printed.

use std::fmt;

use rand::TryCryptoRng;
use subtle::ConstantTimeEq;

/// Shortest and longest code the product allows (`OTP_LENGTH`).
pub const MIN_LENGTH: usize = 4;
pub const MAX_LENGTH: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a code is {MIN_LENGTH} to {MAX_LENGTH} digits")]
pub struct CodeFormatError;

/// A one-time code: `n` decimal digits, leading zeros kept.
///
/// `Debug` hides the digits, and there is no `Display`: the only ways to the digits are
/// [`Code::expose`] (for the SMS text and Cognito's private parameters) and [`Code::matches`].
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// Draws a code of `length` digits from `rng` (in production the OS generator).
    ///
    /// Uniform with no modulo bias: a 64-bit draw is accepted only below the largest multiple of
    /// `10^length` that fits in 64 bits, otherwise it is drawn again. At most one draw in 1.8
    /// million is rejected, so the loop ends at once in practice.
    pub fn generate<R: TryCryptoRng + ?Sized>(rng: &mut R, length: usize) -> Result<Self, R::Error> {
        debug_assert!((MIN_LENGTH..=MAX_LENGTH).contains(&length));
        let modulus = 10u64.pow(length as u32);
        let accept_below = u64::MAX - (u64::MAX % modulus);
        loop {
            let draw = rng.try_next_u64()?;
            if draw < accept_below {
                return Ok(Self(format!("{:0length$}", draw % modulus)));
            }
        }
    }

    /// Reads a code back from Cognito's private parameters, a session's metadata or a test
    /// number's configuration.
    pub fn parse(raw: &str) -> Result<Self, CodeFormatError> {
        if (MIN_LENGTH..=MAX_LENGTH).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(CodeFormatError)
        }
    }

    /// Whether `answer` is this code, in time that does not depend on where they differ.
    pub fn matches(&self, answer: &str) -> bool {
        self.0.as_bytes().ct_eq(answer.as_bytes()).into()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The digits, for the SMS text and Cognito's private challenge parameters only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The operating system's random source could not be read: no code is drawn, and the round fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system's random source is unavailable")]
pub struct RandomUnavailable;

/// Where create's new codes and round nonces come from. The functions draw from the operating
/// system ([`SystemRandom`]); tests hand in a known sequence, or one that fails (`testkit::codes`).
pub trait CodeSource: Send + Sync {
    /// A new code of `length` digits ([`MIN_LENGTH`] to [`MAX_LENGTH`]).
    fn draw(&self, length: usize) -> Result<Code, RandomUnavailable>;

    /// A new round's [`Nonce`].
    fn nonce(&self) -> Result<Nonce, RandomUnavailable>;
}

/// A round's nonce: 128 random bits, as 32 lowercase hex digits, fresh for every round create
/// makes. Not a secret (it says nothing about the code); verify keys a counted answer on it
/// ([`crate::lockout::AnswerId`]), so a retried verify of the same answer to the same round is
/// counted once while the same guess in another round is another guess.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Nonce(String);

impl Nonce {
    /// Hex digits in a nonce.
    pub const LENGTH: usize = 32;

    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// A nonce that is `n` in hex, for tests that need known nonces.
    pub fn from_counter(n: u64) -> Self {
        Self(format!("{n:032x}"))
    }

    /// Reads a nonce back from Cognito's private challenge parameters.
    pub fn parse(raw: &str) -> Option<Self> {
        let well_formed = raw.len() == Self::LENGTH && raw.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        well_formed.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The operating system's CSPRNG (`getrandom`), through [`Code::generate`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemRandom;

impl CodeSource for SystemRandom {
    fn draw(&self, length: usize) -> Result<Code, RandomUnavailable> {
        Code::generate(&mut rand::rngs::SysRng, length).map_err(|_| RandomUnavailable)
    }

    fn nonce(&self) -> Result<Nonce, RandomUnavailable> {
        let mut bytes = [0u8; 16];
        rand::TryRng::try_fill_bytes(&mut rand::rngs::SysRng, &mut bytes).map_err(|_| RandomUnavailable)?;
        Ok(Nonce::from_bytes(bytes))
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Code({})", "*".repeat(self.0.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;

    /// Hands out fixed 64-bit values, to drive the rejection loop deterministically.
    struct Scripted(Vec<u64>);

    impl rand::TryRng for Scripted {
        type Error = Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            Ok(self.try_next_u64()? as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            Ok(self.0.remove(0))
        }
        fn try_fill_bytes(&mut self, _: &mut [u8]) -> Result<(), Infallible> {
            unimplemented!("codes draw whole u64s")
        }
    }
    impl TryCryptoRng for Scripted {}

    #[test]
    fn keeps_leading_zeros() {
        let code = Code::generate(&mut Scripted(vec![42]), 6).unwrap();
        assert_eq!(code.expose(), "000042");
    }

    #[test]
    fn rejects_draws_in_the_biased_tail() {
        // u64::MAX lies in the incomplete last block of 10^6 values; taking it modulo 10^6 would
        // favour low codes. It must be drawn again.
        let tail = u64::MAX - 1;
        let code = Code::generate(&mut Scripted(vec![u64::MAX, tail, 7]), 6).unwrap();
        assert_eq!(code.expose(), "000007");
        // The last accepted value is just below the tail.
        let last_ok = u64::MAX - (u64::MAX % 1_000_000) - 1;
        let code = Code::generate(&mut Scripted(vec![last_ok]), 6).unwrap();
        assert_eq!(code.expose(), "999999");
    }

    #[test]
    fn os_codes_have_the_asked_length_and_only_digits() {
        for length in MIN_LENGTH..=MAX_LENGTH {
            let code = Code::generate(&mut rand::rngs::SysRng, length).unwrap();
            assert_eq!(code.len(), length);
            assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    /// Pearson's chi-squared statistic of `counts` against a uniform expectation.
    fn chi_squared(counts: &[u64]) -> f64 {
        let total: u64 = counts.iter().sum();
        let expected = total as f64 / counts.len() as f64;
        counts.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum()
    }

    #[test]
    fn os_codes_are_uniform_over_every_value() {
        // 4-digit codes: 10,000 buckets, 300,000 draws (30 a bucket). Under uniformity the
        // statistic has mean 9,999 and standard deviation ~141; 8 deviations above is a false
        // alarm with probability well under one in a billion, while a 1% bias on a tenth of the
        // values shows up far above it.
        let mut counts = vec![0u64; 10_000];
        for _ in 0..300_000 {
            let code = Code::generate(&mut rand::rngs::SysRng, 4).unwrap();
            counts[code.expose().parse::<usize>().unwrap()] += 1;
        }
        let stat = chi_squared(&counts);
        assert!(stat < 9_999.0 + 8.0 * 141.4, "chi-squared {stat} over 9,999 degrees of freedom");
        assert!(stat > 9_999.0 - 8.0 * 141.4, "suspiciously even: {stat}");
    }

    #[test]
    fn every_digit_position_is_uniform() {
        // 6-digit codes, each position over 10 digits: 9 degrees of freedom. A uniform source
        // exceeds 60 with probability 1.3e-9.
        let mut counts = [[0u64; 10]; 6];
        for _ in 0..100_000 {
            let code = Code::generate(&mut rand::rngs::SysRng, 6).unwrap();
            for (pos, digit) in code.expose().bytes().enumerate() {
                counts[pos][(digit - b'0') as usize] += 1;
            }
        }
        for (pos, c) in counts.iter().enumerate() {
            let stat = chi_squared(c);
            assert!(stat < 60.0, "position {pos}: chi-squared {stat}");
        }
    }

    #[test]
    fn matching_is_exact() {
        let code = Code::parse("012345").unwrap();
        assert!(code.matches("012345"));
        for wrong in ["12345", "0123456", "012346", "", "O12345", "012345 "] {
            assert!(!code.matches(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn parse_accepts_only_4_to_10_digits() {
        assert!(Code::parse("1234").is_ok() && Code::parse("1234567890").is_ok());
        for bad in ["123", "12345678901", "12a4", "", "-1234", "+1234"] {
            assert_eq!(Code::parse(bad), Err(CodeFormatError), "{bad:?}");
        }
    }

    #[test]
    fn nonces_are_fresh_hex_and_read_back() {
        let a = SystemRandom.nonce().unwrap();
        let b = SystemRandom.nonce().unwrap();
        assert_ne!(a, b);
        assert_eq!(Nonce::parse(a.as_str()), Some(a.clone()));
        assert_eq!(a.as_str().len(), Nonce::LENGTH);
        assert_eq!(Nonce::from_counter(255).as_str(), "000000000000000000000000000000ff");
        for bad in ["", "00ff", &"A".repeat(32), &"g".repeat(32), &"0".repeat(33)] {
            assert_eq!(Nonce::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn debug_hides_the_digits() {
        assert_eq!(format!("{:?}", Code::parse("123456").unwrap()), "Code(******)");
    }
}
