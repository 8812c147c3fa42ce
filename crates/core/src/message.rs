//! The SMS text: a template with `{code}`, `{app}` and `{minutes}`, plus the optional WebOTP line
//! (`@example.com #123456`) that lets browsers offer the code to the page on that origin; one
//! template per language if the app wants ([`Templates`]).

use std::collections::BTreeMap;

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

/// The SMS templates: the default (`SMS_MESSAGE`) and one per locale (`SMS_MESSAGE_BY_LOCALE`),
/// picked by the user's standard `locale` attribute.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Templates {
    pub default: MessageTemplate,
    /// Keyed by the locale tag in lower case with `-` (`pt-br`, `fr`).
    by_locale: BTreeMap<String, MessageTemplate>,
}

/// Why `SMS_MESSAGE_BY_LOCALE` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocaleTemplatesError {
    #[error("a JSON object of locale tags to templates, such as {{\"fr\": \"{{code}} est votre code\"}}")]
    NotAnObject,
    #[error("locale tags such as fr, pt-BR or zh-Hant-TW (letters and digits, parts joined by -); {0:?} is not one")]
    BadTag(String),
    #[error("the {tag:?} template: {error}")]
    BadTemplate { tag: String, error: TemplateError },
}

/// How a locale tag is compared: lower case, `_` read as `-` (`pt_BR` and `pt-BR` are one).
fn normalise(tag: &str) -> String {
    tag.trim().replace('_', "-").to_ascii_lowercase()
}

fn is_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let language = parts.next().unwrap_or_default();
    (2..=3).contains(&language.len())
        && language.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

impl Templates {
    /// The default template and the locale map from its JSON (`None`: no map).
    pub fn parse(default: MessageTemplate, by_locale: Option<&str>) -> Result<Self, LocaleTemplatesError> {
        let mut map = BTreeMap::new();
        if let Some(raw) = by_locale {
            let object: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(raw).map_err(|_| LocaleTemplatesError::NotAnObject)?;
            for (tag, template) in object {
                let key = normalise(&tag);
                if !is_tag(&key) {
                    return Err(LocaleTemplatesError::BadTag(tag));
                }
                let text = template.as_str().ok_or(LocaleTemplatesError::NotAnObject)?;
                let template = MessageTemplate::parse(text)
                    .map_err(|error| LocaleTemplatesError::BadTemplate { tag: tag.clone(), error })?;
                map.insert(key, template);
            }
        }
        Ok(Self { default, by_locale: map })
    }

    /// The template for a user whose `locale` attribute is `locale`: the exact tag, else its
    /// language, else the default.
    pub fn for_locale(&self, locale: Option<&str>) -> &MessageTemplate {
        let Some(tag) = locale.map(normalise).filter(|t| !t.is_empty()) else { return &self.default };
        let language = tag.split('-').next().unwrap_or_default();
        self.by_locale.get(&tag).or_else(|| self.by_locale.get(language)).unwrap_or(&self.default)
    }

    /// Every template with the locale it is for (`None`: the default).
    pub fn all(&self) -> impl Iterator<Item = (Option<&str>, &MessageTemplate)> {
        std::iter::once((None, &self.default)).chain(self.by_locale.iter().map(|(k, v)| (Some(k.as_str()), v)))
    }

    pub fn locales(&self) -> usize {
        self.by_locale.len()
    }
}

/// The longest text `template` can render with these settings: the code at its full length (all
/// codes of a deployment have one length) and the longest `{minutes}`. What the segment count at
/// start-up is worked out from.
pub fn longest(
    template: &MessageTemplate,
    app: &str,
    otp_length: usize,
    ttl_seconds: u64,
    webotp: Option<&str>,
) -> String {
    fill(template, app, &"9".repeat(otp_length), ttl_seconds, webotp)
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
    fill(template, app, code.expose(), ttl_seconds, webotp_domain)
}

fn fill(template: &MessageTemplate, app: &str, code: &str, ttl_seconds: u64, webotp_domain: Option<&str>) -> String {
    let minutes = (ttl_seconds / 60).max(1).to_string();
    let mut text = template.0.replace("{app}", app).replace("{minutes}", &minutes);
    if app.is_empty() {
        while text.contains("  ") {
            text = text.replace("  ", " ");
        }
    }
    // `{code}` last, so a code can never be mistaken for a placeholder.
    let mut text = text.replace("{code}", code);
    if let Some(domain) = webotp_domain {
        text.push_str(&format!("\n\n@{domain} #{code}"));
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

    #[test]
    fn the_template_follows_the_users_locale() {
        let t = Templates::parse(
            MessageTemplate::default(),
            Some(r#"{"fr": "{code} est votre code {app}", "pt-BR": "{code} é o seu código", "pt": "{code} é o teu código"}"#),
        )
        .expect("valid");
        let render_for = |locale: Option<&str>| render(t.for_locale(locale), "", &code(), 300, None);
        assert_eq!(render_for(Some("fr")), "012345 est votre code ");
        assert_eq!(render_for(Some("fr-CA")), "012345 est votre code ", "the language when the tag has none");
        assert_eq!(render_for(Some("pt-BR")), "012345 é o seu código", "the exact tag first");
        assert_eq!(render_for(Some("pt_br")), "012345 é o seu código", "case and _ do not matter");
        assert_eq!(render_for(Some("pt-PT")), "012345 é o teu código");
        assert_eq!(render_for(Some("de")), "012345 is your sign-in code. It expires in 5 minutes.");
        assert_eq!(render_for(None), render_for(Some("")));
        assert_eq!(t.locales(), 3);
    }

    #[test]
    fn locale_templates_are_checked_like_the_default() {
        let bad = |raw: &str| Templates::parse(MessageTemplate::default(), Some(raw)).unwrap_err();
        assert_eq!(bad("[]"), LocaleTemplatesError::NotAnObject);
        assert_eq!(bad(r#"{"fr": 7}"#), LocaleTemplatesError::NotAnObject);
        assert_eq!(bad(r#"{"français": "{code}"}"#), LocaleTemplatesError::BadTag("français".into()));
        assert_eq!(
            bad(r#"{"fr": "votre code"}"#),
            LocaleTemplatesError::BadTemplate { tag: "fr".into(), error: TemplateError::MissingCode }
        );
        assert!(Templates::parse(MessageTemplate::default(), Some("{}")).is_ok());
    }

    #[test]
    fn the_longest_text_uses_a_full_length_code() {
        let text = longest(&MessageTemplate::default(), "Acme", 8, 900, Some("example.com"));
        assert_eq!(text, "99999999 is your Acme sign-in code. It expires in 15 minutes.\n\n@example.com #99999999");
    }
}
