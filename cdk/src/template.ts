// What template.yaml and the functions' configuration parser (crates/core/src/config.rs) say about
// each setting, as `cargo xtask cdk` writes it into template.generated.ts, and the checks the
// construct makes with it. Nothing here lists a parameter, a default or a range.
import { Token } from 'aws-cdk-lib';
import type { SmsPasswordlessSettings } from './settings.generated';
import { PARAMETERS, VARIABLES } from './template.generated';

/** How a parameter's value is typed as a prop (the generator decides it from the parameter). */
export type Kind = 'whole' | 'number' | 'boolean' | 'enum' | 'text';

/** One template parameter, as the construct checks and passes it on. */
export interface Parameter {
  readonly name: string;
  readonly prop: keyof SmsPasswordlessSettings;
  readonly kind: Kind;
  /** Its default, as CloudFormation hands it over (a string). */
  readonly default: string;
  readonly allowedPattern?: string;
  readonly allowedValues?: readonly string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  /** What is allowed, in words: the function's own where a function reads a whole number. */
  readonly expected: string;
  /** The functions' variable it sets, if any. */
  readonly variable?: string;
  /** Whether a condition of the template reads it, so it decides which resources exist. */
  readonly decides: boolean;
}

/** One variable the functions read; `parameter` absent: the stack sets it itself. */
export interface Variable {
  readonly variable: string;
  readonly parameter?: string;
  /** The binaries that read it; only their functions get it. */
  readonly readBy: readonly string[];
}

/** One function of the template. */
export interface FunctionSpec {
  readonly logicalId: string;
  readonly binary: string;
  readonly description: string;
  /** A trigger's slot in the user pool's LambdaConfig. */
  readonly poolSlot?: string;
}

/** The parameter `name`; a name the template does not have is a bug of the construct. */
export function parameter(name: string): Parameter {
  const found = PARAMETERS.find((p) => p.name === name);
  if (!found) throw new Error(`template.yaml has no parameter ${name} (regenerate: cargo xtask cdk)`);
  return found;
}

/** The variables a function reads, in SETTINGS order. */
export function variablesOf(binary: string): readonly Variable[] {
  return VARIABLES.filter((v) => v.readBy.includes(binary));
}

/**
 * A prop's value as CloudFormation would hand the parameter over: a string, or a token's string.
 * Throws on a value of the wrong type (plain JavaScript callers).
 */
export function cfnValue(p: Parameter, value: unknown): string {
  if (value === undefined) return p.default;
  const wrongType = (want: string): Error =>
    new Error(`${p.prop}: expected ${want}, got ${typeof value} ${JSON.stringify(value)}`);
  switch (p.kind) {
    case 'whole':
    case 'number':
      if (typeof value !== 'number') throw wrongType('a number');
      return Token.isUnresolved(value) ? Token.asString(value) : String(value);
    case 'boolean':
      if (typeof value !== 'boolean') throw wrongType('true or false');
      return String(value);
    case 'enum':
    case 'text':
      if (typeof value !== 'string') throw wrongType('a string');
      return value;
  }
}

/**
 * Why CloudFormation (and, where a function reads it, the function at start-up) would refuse
 * `value`, or undefined when it is allowed. A function's refusal reads
 * `invalid configuration: VAR="value" is not allowed; expected ...` (ConfigError in config.rs);
 * so does this one for the parameters a function reads.
 */
export function refusal(p: Parameter, value: string): string | undefined {
  // CloudFormation counts UTF-16 code units, as JavaScript does.
  const allowed =
    (p.minLength === undefined || value.length >= p.minLength) &&
    (p.maxLength === undefined || value.length <= p.maxLength) &&
    (p.allowedValues === undefined || p.allowedValues.includes(value)) &&
    // CloudFormation matches the whole value.
    (p.allowedPattern === undefined || new RegExp(`^(?:${p.allowedPattern})$`).test(value));
  if (allowed) return undefined;
  return p.variable
    ? `invalid configuration: ${p.variable}=${rustDebug(value)} is not allowed; expected ${p.expected}`
    : `${p.name}=${rustDebug(value)} is not allowed; expected ${p.expected}`;
}

/** A string as Rust's `{:?}` shows it (the functions' messages quote values that way). */
export function rustDebug(value: string): string {
  const named: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '"': '\\"', '\\': '\\\\', '\0': '\\0' };
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    out += named[ch] ?? (code < 0x20 || (code >= 0x7f && code <= 0x9f) ? `\\u{${code.toString(16)}}` : ch);
  }
  return `"${out}"`;
}
