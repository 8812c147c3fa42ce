// Phone numbers for the sign-in page: a country list for the selector, and what the person typed
// (national digits with the selected country, or a full E.164 number typed or pasted) as E.164.
// Framework-free; uses libphonenumber-js and Intl only.

import {
  getCountries,
  getCountryCallingCode,
  parsePhoneNumberFromString,
  type CountryCode,
} from 'libphonenumber-js';
import metadata from 'libphonenumber-js/metadata.min.json';

export type { CountryCode };

export interface CountryOption {
  code: CountryCode;
  name: string;
  callingCode: string;
}

/** Every country libphonenumber-js knows, by name in `locale`. */
export function countryOptions(locale = 'en'): CountryOption[] {
  let names: Intl.DisplayNames | undefined;
  try {
    names = new Intl.DisplayNames([locale, 'en'], { type: 'region' });
  } catch {
    names = undefined;
  }
  return getCountries()
    .map((code) => ({ code, name: names?.of(code) ?? code, callingCode: getCountryCallingCode(code) }))
    .sort((a, b) => a.name.localeCompare(b.name, locale));
}

/** The country of a locale such as `en-GB` (for the selector's first choice), if it has numbers. */
export function countryOfLocale(locale: string | undefined): CountryCode | undefined {
  const region = locale?.split(/[-_]/).find((part, i) => i > 0 && /^[A-Za-z]{2}$/.test(part));
  const code = region?.toUpperCase();
  return code && (getCountries() as string[]).includes(code) ? (code as CountryCode) : undefined;
}

export type ParsedPhone =
  | { ok: true; e164: string; country: CountryCode | undefined }
  | { ok: false; error: string };

/**
 * What the person typed, as E.164. A number starting with `+` (or `00`) is read as international
 * and the selected country is ignored; anything else is a national number of `country`. Only the
 * length is checked (`isPossible`), so new number ranges are not refused by old metadata; the
 * pool's pre-sign-up trigger has the last word.
 */
export function parsePhone(input: string, country: CountryCode): ParsedPhone {
  const typed = input.trim().replace(/^00/, '+');
  if (!/\d/.test(typed)) return { ok: false, error: 'Enter your phone number.' };
  if (/[^\d\s()+\-.\u2010-\u2015/]/.test(typed)) {
    return { ok: false, error: 'A phone number has only digits (and spaces, dashes, brackets).' };
  }
  const parsed = typed.startsWith('+')
    ? parsePhoneNumberFromString(typed)
    : parsePhoneNumberFromString(typed, country);
  if (!parsed || !parsed.isPossible()) {
    return typed.startsWith('+')
      ? { ok: false, error: 'That is not a complete international number: + then the country code and number.' }
      : { ok: false, error: 'That number does not look complete for the selected country.' };
  }
  return { ok: true, e164: parsed.number, country: parsed.country ?? mainCountry(parsed.countryCallingCode) };
}

/** The country of a full international number as it is typed or pasted, to follow in the selector. */
export function countryOfInternational(input: string): CountryCode | undefined {
  const typed = input.trim().replace(/^00/, '+');
  if (!typed.startsWith('+')) return undefined;
  const parsed = parsePhoneNumberFromString(typed);
  if (!parsed) return undefined;
  // A number outside the ranges the metadata knows (a test or drama range) has no country: take
  // the main country of its calling code (+1: US, +44: GB).
  return parsed.country ?? mainCountry(parsed.countryCallingCode);
}

function mainCountry(callingCode: string): CountryCode | undefined {
  const codes = (metadata as { country_calling_codes: Record<string, string[]> }).country_calling_codes;
  return codes[callingCode]?.[0] as CountryCode | undefined;
}
