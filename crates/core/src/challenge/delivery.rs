//! Create's decision, pure: who a round's code goes to, and whether it goes out.
//!
//! A round's code goes to a [`Recipient`]: a real number (an SMS), a configured test number (its
//! fixed code, no SMS), or nobody (*withheld*, for a [`WithheldReason`]). Withholding is decided in
//! two steps: from the event alone ([`Recipient::of`]: an unknown user, a country not allowed),
//! then, when a new code is due, from what the stores said of the number and its destination
//! prefix ([`Checks::refusal`]: a locked number, the per-number limit, the pumping breaker). A
//! withheld round looks like any other to the client, sends nothing, and keeps its code
//! undelivered, so no answer can win it ([`super::answer_is_correct`]).
//!
//! The I/O (asking the stores, sending, waiting as long as a send) is create's, in
//! [`crate::triggers::create`].

use crate::code::Code;
use crate::config::Config;
use crate::lockout::Lock;
use crate::metrics::Metric;
use crate::phone::{self, PhoneNumber};
use crate::pumping::{Admission, Prefix};
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
    PrefixOverBudget,
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
            Self::PrefixOverBudget => "prefix over its SMS budget",
        }
    }
}

/// A known user has no proven (`phone_number_verified`) number: there is nobody to send to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoProvenNumber;

/// What the stores said of a send to a number, asked all at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// Whether the number is locked after wrong answers ([`crate::lockout`]).
    pub lock: Lock,
    /// Whether the per-number SMS limit gave the send a slot ([`crate::send_limit`]).
    pub reservation: Reservation,
    /// Whether the destination prefix takes more SMS ([`crate::pumping`]).
    pub admission: Admission,
}

impl Checks {
    /// Why the stores' answers withhold the code, if they do: the first refusal counts (the
    /// lock, then the per-number limit, then the destination prefix).
    pub fn refusal(&self) -> Option<WithheldReason> {
        if self.lock == Lock::Locked {
            Some(WithheldReason::NumberLocked)
        } else if self.reservation == Reservation::Refused {
            Some(WithheldReason::LimitReached)
        } else {
            match self.admission {
                Admission::Open => None,
                Admission::Paused => Some(WithheldReason::PrefixPaused),
                Admission::OverBudget => Some(WithheldReason::PrefixOverBudget),
            }
        }
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

    /// The prefix the pumping breaker judges this recipient by: only a real SMS counts.
    pub fn sms_prefix(&self) -> Option<Prefix> {
        match self {
            Self::Real(phone) => Some(Prefix::of(phone)),
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

    const OPEN: Checks = Checks { lock: Lock::Open, reservation: Reservation::Granted, admission: Admission::Open };

    #[test]
    fn an_unknown_user_gets_nothing_but_the_typed_number_is_still_counted() {
        let r = Recipient::of(true, "+15555550199", None, &Config::default()).expect("a recipient");
        assert_eq!(r.withheld_for(), Some(WithheldReason::UnknownUser));
        assert_eq!(r.masked(), "+1******0199");
        assert_eq!(r.number(), Some(&phone("+15555550199")), "the limit and the lock still apply");
        assert!(r.sms_prefix().is_none(), "no SMS, so the breaker does not count it");
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
        assert_eq!(r.sms_prefix().map(|p| p.to_string()).as_deref(), Some("+1555"));
    }

    #[test]
    fn a_test_number_gets_its_fixed_code_and_takes_no_send_slot() {
        let c = config(&[("TEST_PHONE_NUMBERS", "+15555550111=246810")]);
        let r = Recipient::of(false, "sub-1", Some(phone("+15555550111")), &c).expect("a recipient");
        assert_eq!(r.fixed_code().map(Code::expose), Some("246810"));
        assert!(!r.takes_send_slot());
        assert!(r.sms_prefix().is_none());
        let locked = Checks { lock: Lock::Locked, ..OPEN }.refusal();
        assert_eq!(locked, Some(WithheldReason::NumberLocked), "the lock applies to test numbers");
    }

    #[test]
    fn the_first_refusing_check_withholds_the_code() {
        assert_eq!(OPEN.refusal(), None);
        let all_refuse = Checks { lock: Lock::Locked, reservation: Reservation::Refused, admission: Admission::Paused };
        let cases = [
            (all_refuse, WithheldReason::NumberLocked),
            (Checks { lock: Lock::Open, ..all_refuse }, WithheldReason::LimitReached),
            (
                Checks { lock: Lock::Open, reservation: Reservation::Granted, ..all_refuse },
                WithheldReason::PrefixPaused,
            ),
            (Checks { admission: Admission::OverBudget, ..OPEN }, WithheldReason::PrefixOverBudget),
        ];
        for (checks, why) in cases {
            assert_eq!(checks.refusal(), Some(why), "{checks:?}");
        }
    }

    #[test]
    fn a_withheld_code_shows_the_same_masked_number_and_goes_nowhere() {
        let real = Recipient::Real(phone("+15555550100"));
        let withheld = real.withhold(WithheldReason::LimitReached);
        assert_eq!(withheld.withheld_for(), Some(WithheldReason::LimitReached));
        assert_eq!(withheld.masked(), "+1******0100");
        assert!(withheld.sms_prefix().is_none() && withheld.fixed_code().is_none() && withheld.number().is_none());
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
