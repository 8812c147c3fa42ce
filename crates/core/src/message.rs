//! The SMS text: a template with `{code}`, `{app}` and `{minutes}`, plus the optional WebOTP line
//! (`@example.com #123456`) that lets browsers offer the code to the page on that origin.

use crate::code::Code;

pub const DEFAULT_TEMPLATE: &str = "{code} is your {app} sign-in code. It expires in {minutes} minutes.";

/// SNS refuses longer messages; a template is checked against it with the longest code.
const MAX_SMS_CHARS: usize = 1600;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("a message containing {{code}}")]
    MissingCode,
    #[error("a message of at most {MAX_SMS_CHARS} characters")]
    TooLong,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageTemplate(String);

impl MessageTemplate {
    pub fn parse(raw: &str) -> Result<Self, TemplateError> {
        if !raw.contains("{code}") {
            return Err(TemplateError::MissingCode);
        }
        if raw.chars().count() > MAX_SMS_CHARS - 100 {
            return Err(TemplateError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }
}

impl Default for MessageTemplate {
    fn default() -> Self {
        Self(DEFAULT_TEMPLATE.to_owned())
    }
}

/// Renders the SMS for `code`. An empty `app` leaves no double space behind
/// ("123456 is your sign-in code."). Minutes are rounded down, so the text never promises more
/// time than the code has.
pub fn render(
    template: &MessageTemplate,
    app: &str,
    code: &Code,
    ttl_seconds: u64,
    webotp_domain: Option<&str>,
) -> String {
    let minutes = (ttl_seconds / 60).max(1).to_string();
    let mut text = template.0.replace("{app}", app).replace("{minutes}", &minutes);
    if app.is_empty() {
        while text.contains("  ") {
            text = text.replace("  ", " ");
        }
    }
    // `{code}` last, so a code can never be mistaken for a placeholder.
    let mut text = text.replace("{code}", code.expose());
    if let Some(domain) = webotp_domain {
        text.push_str(&format!("\n\n@{domain} #{}", code.expose()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code() -> Code {
        Code::parse("012345").unwrap()
    }

    #[test]
    fn renders_the_default_template() {
        let text = render(&MessageTemplate::default(), "Acme", &code(), 300, None);
        assert_eq!(text, "012345 is your Acme sign-in code. It expires in 5 minutes.");
    }

    #[test]
    fn empty_app_name_leaves_no_double_space() {
        let text = render(&MessageTemplate::default(), "", &code(), 90, None);
        assert_eq!(text, "012345 is your sign-in code. It expires in 1 minutes.");
    }

    #[test]
    fn webotp_line_is_last() {
        let text = render(&MessageTemplate::default(), "Acme", &code(), 300, Some("example.com"));
        assert_eq!(text.lines().last(), Some("@example.com #012345"));
    }

    #[test]
    fn custom_template_and_checks() {
        let t = MessageTemplate::parse("Code: {code} ({minutes} min)").unwrap();
        assert_eq!(render(&t, "", &code(), 600, None), "Code: 012345 (10 min)");
        assert_eq!(MessageTemplate::parse("no placeholder"), Err(TemplateError::MissingCode));
        assert_eq!(MessageTemplate::parse(&format!("{{code}}{}", "x".repeat(1600))), Err(TemplateError::TooLong));
    }
}
