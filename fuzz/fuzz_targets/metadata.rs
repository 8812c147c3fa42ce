//! `ChallengeState::parse` on any string: no panic, and whatever it accepts re-encodes to a
//! string that parses back to the same state, with every number exactly the one written (the
//! format is strict: an entry we did not write is refused, never guessed at).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sms_otp_core::challenge::{ChallengeState, Delivery};

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else { return };
    let Ok(state) = ChallengeState::parse(raw) else { return };

    let encoded = state.encode();
    assert_eq!(ChallengeState::parse(&encoded).as_ref(), Ok(&state), "{encoded:?} does not parse back");

    let fields: Vec<&str> = raw.split(':').collect();
    assert_eq!(fields.len(), 6, "accepted {raw:?}");
    assert_eq!(fields[0], "SMSOTP2", "accepted {raw:?}");
    let delivery = match state.delivery {
        Delivery::Delivered => "1",
        Delivery::Withheld => "0",
        Delivery::Unsent => "u",
    };
    assert_eq!(fields[5], delivery, "accepted {raw:?}");
    assert_eq!(fields[1], state.code.expose(), "accepted {raw:?}");
    assert!(state.sends >= 1 || state.delivery == Delivery::Unsent, "accepted {raw:?}");
    for (field, value) in
        [(fields[2], state.issued_at), (fields[3], state.sends.into()), (fields[4], state.failures.into())]
    {
        assert_eq!(field.parse::<u64>().ok(), Some(value), "accepted {raw:?}: field {field:?} read as {value}");
    }
});
