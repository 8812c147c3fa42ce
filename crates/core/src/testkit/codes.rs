//! Random sources for tests ([`CodeSource`]): codes a test knows before they are drawn, and a
//! source that fails.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::code::{Code, CodeSource, Nonce, RandomUnavailable};

/// Draws 1, 2, 3, ... as codes of the asked length (`000001`, `000002`, ...), so a test can name
/// the code a round will send without reading it back; and 1, 2, 3, ... as nonces.
#[derive(Debug, Default)]
pub struct CountingCodes {
    drawn: AtomicU64,
    nonces: AtomicU64,
}

impl CountingCodes {
    pub fn new() -> Self {
        Self::default()
    }

    /// The code the `n`th draw (from 1) gives at `length` digits.
    pub fn nth(n: u64, length: usize) -> String {
        let modulus = 10u64.pow(length as u32);
        format!("{:0length$}", n % modulus)
    }
}

impl CodeSource for CountingCodes {
    fn draw(&self, length: usize) -> Result<Code, RandomUnavailable> {
        let n = self.drawn.fetch_add(1, Ordering::Relaxed) + 1;
        Code::parse(&Self::nth(n, length)).map_err(|_| RandomUnavailable)
    }

    fn nonce(&self) -> Result<Nonce, RandomUnavailable> {
        Ok(Nonce::from_counter(self.nonces.fetch_add(1, Ordering::Relaxed) + 1))
    }
}

/// A random source that cannot be read (an exhausted or broken `getrandom`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoRandomness;

impl CodeSource for NoRandomness {
    fn draw(&self, _length: usize) -> Result<Code, RandomUnavailable> {
        Err(RandomUnavailable)
    }

    fn nonce(&self) -> Result<Nonce, RandomUnavailable> {
        Err(RandomUnavailable)
    }
}
