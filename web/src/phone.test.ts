import { describe, expect, it } from 'vitest';

import { countryOfInternational, countryOfLocale, countryOptions, parsePhone } from './phone';

describe('phone numbers', () => {
  it('reads a national number with the selected country', () => {
    expect(parsePhone('(555) 555-0100', 'US')).toEqual({ ok: true, e164: '+15555550100', country: 'US' });
    expect(parsePhone('07700 900123', 'GB')).toMatchObject({ ok: true, e164: '+447700900123', country: 'GB' });
  });

  it('reads a full E.164 number typed or pasted, whatever the selector says', () => {
    expect(parsePhone('+44 7700 900123', 'US')).toMatchObject({ ok: true, e164: '+447700900123', country: 'GB' });
    expect(parsePhone(' 0044 7700 900123 ', 'US')).toMatchObject({ ok: true, e164: '+447700900123' });
    expect(parsePhone('+33612345678', 'US')).toMatchObject({ ok: true, e164: '+33612345678', country: 'FR' });
    expect(countryOfInternational('+44 7700')).toBe('GB');
    expect(countryOfInternational('7700')).toBeUndefined();
  });

  it('refuses what is not a complete number, with a reason', () => {
    expect(parsePhone('', 'US').ok).toBe(false);
    expect(parsePhone('555', 'US').ok).toBe(false);
    expect(parsePhone('+1555', 'US').ok).toBe(false);
    expect(parsePhone('alice@example.com', 'US').ok).toBe(false);
  });

  it('lists countries by name with their calling codes', () => {
    const list = countryOptions('en');
    expect(list.length).toBeGreaterThan(200);
    expect(list.find((c) => c.code === 'GB')).toEqual({ code: 'GB', name: 'United Kingdom', callingCode: '44' });
    expect(countryOfLocale('en-GB')).toBe('GB');
    expect(countryOfLocale('en')).toBeUndefined();
    expect(countryOfLocale('und-de')).toBe('DE');
  });
});
