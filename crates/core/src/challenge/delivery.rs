//! Create's decision, pure: who a round's code goes to, and whether it goes out.
//!
//! A round's code goes to a [`Recipient`]: a real number (an SMS), a configured test number (its
//! fixed code, no SMS), or nobody (*withheld*, for a [`WithheldReason`]). Withholding is decided
//! step by step, each step only if the one before let the code through, so a code withheld early
//! touches nothing the later steps would take:
//!
//! 1. from the event alone ([`Recipient::of`]): an unknown user, a country not allowed;
//! 2. from what the store says of the number ([`number_refusal`]): locked, or no SMS slot left;
//! 3. for a number not established before any pause that may be running
//!    ([`needs_area_check`]), from its areas ([`area_refusal`]): its prefix or region paused;
//! 4. from the budgets, taken by conditional writes ([`budget_refusal`]): the pool's ceiling, the
//!    prefix's budget;
//! 5. last, the number's own SMS slot, taken by a conditional write: only a code that nothing
//!    else withholds takes one of the owner's slots.
//!
//! A withheld round looks like any other to the client, sends nothing, and keeps its code
//! undelivered, so no answer can win it ([`super::answer_is_correct`]).
//!
//! The I/O (asking the stores, sending, waiting as long as a send) is create's, in
//! [`crate::triggers::create`].

use crate::code::Code;
use crate::config::Config;
use crate::lockout::{Lock, Standing};
use crate::metrics::Metric;
use crate::phone::{self, PhoneNumber};
use crate::pumping::{Admission, AreaState, BreakerPolicy};
use crate::send_limit::Reservation;

/// Who the round's code goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// An SMS to the user's proven number.
    Real(PhoneNumber),
    /// A configured test number: fixed code, never an SMS.
    Test(PhoneNumber, Code),
    /// The code goes nowhere: `masked` is what the client is shown; `number` (if the user typed
    /// a well-formed one) is still checked against the limit and the lock.
    Withheld { masked: String, why: WithheldReason, number: Option<PhoneNumber> },
}

/// Why a round's code is not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WithheldReason {
    UnknownUser,
    CountryBlocked,
    LimitReached,
    NumberLocked,
    PrefixPaused,
    RegionPaused,
    PrefixOverBudget,
    PoolCeiling,
}

impl WithheldReason {
    /// What the round counts (see [`crate::metrics`]).
    pub fn metric(self) -> Metric {
        match self {
            Self::UnknownUser => Metric::UnknownUser,
            Self::CountryBlocked => Metric::CountryBlocked,
            Self::LimitReached => Metric::SendRefusedByLimit,
            Self::NumberLocked => Metric::RefusedWhileLocked,
            Self::PrefixPaused | Self::PrefixOverBudget => Metric::SendRefusedByPrefix,
            Self::RegionPaused => Metric::SendRefusedByRegion,
            Self::PoolCeiling => Metric::PoolCeilingReached,
        }
    }

    /// How the logs name it (never with the number).
    pub fn describe(self) -> &'static str {
        match self {
            Self::UnknownUser => "unknown user",
            Self::CountryBlocked => "country not allowed",
            Self::LimitReached => "per-number SMS limit reached",
            Self::NumberLocked => "number locked after wrong answers",
            Self::PrefixPaused => "prefix paused by the pumping breaker",
            Self::RegionPaused => "region paused by the pumping breaker",
            Self::PrefixOverBudget => "prefix over its SMS budget",
            Self::PoolCeiling => "the pool's SMS ceiling for the hour reached",
        }
    }
}

/// A known user has no proven (`phone_number_verified`) number: there is nobody to send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoProvenNumber;

/// Step 2: what the store says of the number, before anything is taken: a lock, then the
/// per-number limit.
pub fn number_refusal(standing: &Standing, has_slot: bool) -> Option<WithheldReason> {
    if standing.lock == Lock::Locked {
        Some(WithheldReason::NumberLocked)
    } else if !has_slot {
        Some(WithheldReason::LimitReached)
    } else {
        None
    }
}

/// Whether a send to a number of `standing` at `now` is judged by its areas: a never-signed-in
/// number always; an established one only if it was established so recently that a pause running
/// now may have begun before it (a pause lasts `pause_seconds`), since a pause holds back numbers
/// proven after it began. Older established numbers never touch the areas' records.
pub fn needs_area_check(policy: &BreakerPolicy, standing: &Standing, now: u64) -> bool {
    policy.min_sends > 0 && standing.established_at.is_none_or(|at| at.saturating_add(policy.pause_seconds) > now)
}

/// Step 3: the number's prefix, then its region, paused for numbers like it.
pub fn area_refusal(
    policy: &BreakerPolicy,
    [prefix, region]: &[AreaState; 2],
    standing: &Standing,
    now: u64,
) -> Option<WithheldReason> {
    if policy.admits(prefix, standing.established_at, now) == Admission::Paused {
        Some(WithheldReason::PrefixPaused)
    } else if policy.admits(region, standing.established_at, now) == Admission::Paused {
        Some(WithheldReason::RegionPaused)
    } else {
        None
    }
}

/// Step 4: the budgets taken for the send: the pool's ceiling, then the prefix's budget.
pub fn budget_refusal(pool: Reservation, prefix_budget: Reservation) -> Option<WithheldReason> {
    if pool == Reservation::Refused {
        Some(WithheldReason::PoolCeiling)
    } else if prefix_budget == Reservation::Refused {
        Some(WithheldReason::PrefixOverBudget)
    } else {
        None
    }
}

impl Recipient {
    /// The recipient from the event: `user_not_found` and the name the client typed (Cognito
    /// passes it for an unknown user), else the user's `proven` number, judged by `config`.
    pub fn of(
        user_not_found: bool,
        typed: &str,
        proven: Option<PhoneNumber>,
        config: &Config,
    ) -> Result<Self, NoProvenNumber> {
        if user_not_found {
            let number = PhoneNumber::parse(typed).ok();
            return Ok(Self::Withheld { masked: phone::mask(typed), why: WithheldReason::UnknownUser, number });
        }
        let phone = proven.ok_or(NoProvenNumber)?;
        if !config.allowed_countries.allows(&phone) {
            return Ok(Self::Withheld {
                masked: phone.masked(),
                why: WithheldReason::CountryBlocked,
                number: Some(phone),
            });
        }
        Ok(match config.test_numbers.code_for(&phone) {
            Some(code) => Self::Test(phone.clone(), code.clone()),
            None => Self::Real(phone),
        })
    }

    /// The same recipient, its code withheld for `why` (the client sees the same masked number).
    pub fn withhold(self, why: WithheldReason) -> Self {
        Self::Withheld { masked: self.masked(), why, number: None }
    }

    /// The number this round is about, if any: checked against the lock, and (when a send is
    /// due) against the per-number SMS limit, registered or not, so neither tells an attacker
    /// whether a number is registered.
    pub fn number(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Real(phone) | Self::Test(phone, _) => Some(phone),
            Self::Withheld { number, .. } => number.as_ref(),
        }
    }

    /// Whether a send to this recipient takes a slot of the per-number SMS limit: test numbers
    /// never send, so they skip it (the lock still applies to them).
    pub fn takes_send_slot(&self) -> bool {
        !matches!(self, Self::Test(..))
    }

    /// The number an SMS goes to, if one does.
    pub fn sms_number(&self) -> Option<&PhoneNumber> {
        match self {
            Self::Real(phone) => Some(phone),
            _ => None,
        }
    }

    /// The code a test number always gets, instead of a drawn one.
    pub fn fixed_code(&self) -> Option<&Code> {
        match self {
            Self::Test(_, code) => Some(code),
            _ => None,
        }
    }

    /// Why the code is withheld, if it is.
    pub fn withheld_for(&self) -> Option<WithheldReason> {
        match self {
            Self::Withheld { why, .. } => Some(*why),
            _ => None,
        }
    }

    /// The number as the client may see it.
    pub fn masked(&self) -> String {
        match self {
            Self::Real(phone) | Self::Test(phone, _) => phone.masked(),
            Self::Withheld { masked, .. } => masked.clone(),
        }
    }

    /// How the logs name the delivery.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Real(_) => "sms",
            Self::Test(..) => "test number",
            Self::Withheld { why, .. } => why.describe(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(raw: &str) -> PhoneNumber {
        PhoneNumber::parse(raw).expect("a number")
    }

    fn config(vars: &[(&str, &str)]) -> Config {
        Config::from_lookup(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()))
            .expect("a valid configuration")
    }

    const NOW: u64 = 1_763_700_000;

    #[test]
    fn an_unknown_user_gets_nothing_but_the_typed_number_is_still_counted() {
        let r = Recipient::of(true, "+15555550199", None, &Config::default()).expect("a recipient");
        assert_eq!(r.withheld_for(), Some(WithheldReason::UnknownUser));
        assert_eq!(r.masked(), "+1******0199");
        assert_eq!(r.number(), Some(&phone("+15555550199")), "the limit and the lock still apply");
        assert!(r.sms_number().is_none(), "no SMS, so the breaker does not count it");
        let garbage = Recipient::of(true, "not a number", None, &Config::default()).expect("a recipient");
        assert_eq!(garbage.number(), None);
    }

    #[test]
    fn a_known_user_needs_a_proven_number_from_an_allowed_country() {
        assert_eq!(Recipient::of(false, "sub-1", None, &Config::default()), Err(NoProvenNumber));
        let only_uk = config(&[("ALLOWED_COUNTRY_CODES", "44")]);
        let r = Recipient::of(false, "sub-1", Some(phone("+15555550100")), &only_uk).expect("a recipient");
        assert_eq!(r.withheld_for(), Some(WithheldReason::CountryBlocked));
        let r = Recipient::of(false, "sub-1", Some(phone("+15555550100")), &Config::default()).expect("a recipient");
        assert_eq!(r, Recipient::Real(phone("+15555550100")));
        assert_eq!(r.sms_number(), Some(&phone("+15555550100")));
    }

    #[test]
    fn a_test_number_gets_its_fixed_code_and_takes_no_send_slot() {
        let c = config(&[("TEST_PHONE_NUMBERS", "+15555550111=24681012")]);
        let r = Recipient::of(false, "sub-1", Some(phone("+15555550111")), &c).expect("a recipient");
        assert_eq!(r.fixed_code().map(Code::expose), Some("24681012"));
        assert!(!r.takes_send_slot());
        assert!(r.sms_number().is_none());
        let locked = Standing { lock: Lock::Locked, established_at: None };
        assert_eq!(
            number_refusal(&locked, true),
            Some(WithheldReason::NumberLocked),
            "the lock applies to test numbers"
        );
    }

    #[test]
    fn the_first_refusing_step_withholds_the_code() {
        let locked = Standing { lock: Lock::Locked, established_at: Some(NOW) };
        assert_eq!(number_refusal(&locked, false), Some(WithheldReason::NumberLocked));
        assert_eq!(number_refusal(&Standing::NEW, false), Some(WithheldReason::LimitReached));
        assert_eq!(number_refusal(&Standing::NEW, true), None);
        assert_eq!(budget_refusal(Reservation::Refused, Reservation::Refused), Some(WithheldReason::PoolCeiling));
        assert_eq!(budget_refusal(Reservation::Granted, Reservation::Refused), Some(WithheldReason::PrefixOverBudget));
        assert_eq!(budget_refusal(Reservation::Granted, Reservation::Granted), None);
    }

    #[test]
    fn areas_hold_back_new_numbers_and_numbers_proven_during_a_pause_only() {
        let policy = crate::testkit::pumping::EXAMPLE_POLICY;
        let paused = AreaState { paused_since: NOW - 60, paused_until: NOW + 600, ..AreaState::default() };
        let open = AreaState::default();
        let new = Standing::NEW;
        assert_eq!(area_refusal(&policy, &[paused, open], &new, NOW), Some(WithheldReason::PrefixPaused));
        assert_eq!(area_refusal(&policy, &[open, paused], &new, NOW), Some(WithheldReason::RegionPaused));
        assert_eq!(area_refusal(&policy, &[open, open], &new, NOW), None);
        let before = Standing { lock: Lock::Open, established_at: Some(NOW - 61) };
        assert_eq!(area_refusal(&policy, &[paused, paused], &before, NOW), None, "established before the pause");
        let during = Standing { lock: Lock::Open, established_at: Some(NOW - 30) };
        assert_eq!(area_refusal(&policy, &[open, paused], &during, NOW), Some(WithheldReason::RegionPaused));

        // Who is looked up at all: new numbers, and numbers proven within a pause's length.
        assert!(needs_area_check(&policy, &new, NOW));
        assert!(needs_area_check(&policy, &during, NOW));
        let long_ago = Standing { lock: Lock::Open, established_at: Some(NOW - policy.pause_seconds) };
        assert!(!needs_area_check(&policy, &long_ago, NOW), "no pause running now began before it");
        let off = BreakerPolicy { min_sends: 0, ..policy };
        assert!(!needs_area_check(&off, &new, NOW), "the breaker is off");
    }

    #[test]
    fn a_withheld_code_shows_the_same_masked_number_and_goes_nowhere() {
        let real = Recipient::Real(phone("+15555550100"));
        let withheld = real.withhold(WithheldReason::LimitReached);
        assert_eq!(withheld.withheld_for(), Some(WithheldReason::LimitReached));
        assert_eq!(withheld.masked(), "+1******0100");
        assert!(withheld.sms_number().is_none() && withheld.fixed_code().is_none() && withheld.number().is_none());
        let unknown = Recipient::of(true, "+15555550199", None, &Config::default()).expect("a recipient");
        let limited = unknown.withhold(WithheldReason::LimitReached);
        assert_eq!(
            limited.withheld_for(),
            Some(WithheldReason::LimitReached),
            "the limit speaks for unknown numbers too"
        );
        assert_eq!(limited.masked(), "+1******0199");
    }
}
