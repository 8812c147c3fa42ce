// What the tests (and the emulator's app, test/local-app.ts) share: props from template
// parameters, stand-in bootstraps, and a stack whose logical ids read like template.yaml's.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, type CfnElement, type StackProps } from 'aws-cdk-lib';
import { Architecture, type SmsPasswordlessSettings } from '../src';
import { cfnValue } from '../src/template';
import { FUNCTIONS, PARAMETERS } from '../src/template.generated';

/** Props from template parameters given as CloudFormation would take them (`Key=Value` strings). */
export function propsFromParameters(parameters: Readonly<Record<string, string>>): SmsPasswordlessSettings {
  const props: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(parameters)) {
    const p = PARAMETERS.find((q) => q.name === name);
    if (!p) throw new Error(`template.yaml has no parameter ${name}`);
    props[p.prop] = p.kind === 'whole' || p.kind === 'number' ? Number(value) : p.kind === 'boolean' ? value === 'true' : value;
    // What went in comes out: the prop's CloudFormation value is the parameter's.
    if (cfnValue(p, props[p.prop]) !== value) throw new Error(`${name}=${value} has no prop value of its own spelling`);
  }
  return props as SmsPasswordlessSettings;
}

/** `Key=Value` strings as a map. */
export function parseParameters(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`not Key=Value: ${pair}`);
    out[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return out;
}

/**
 * A directory of stand-in bootstraps for `architecture` (an ELF header, executable), in
 * cargo lambda's layout (`<binary>/bootstrap`) or sam build's (`<LogicalId>/bootstrap`).
 */
export function fakeBootstraps(architecture: Architecture, layout: 'cargo' | 'sam' = 'cargo', mode = 0o755): string {
  const dir = mkdtempSync(join(tmpdir(), 'sms-passwordless-bootstraps-'));
  const header = Buffer.alloc(64);
  header.writeUInt32BE(0x7f454c46, 0); // \x7fELF
  header[4] = 2; // 64-bit
  header[5] = 1; // little-endian
  header.writeUInt16LE(architecture === Architecture.ARM64 ? 0xb7 : 0x3e, 18);
  for (const f of FUNCTIONS) {
    const sub = join(dir, layout === 'cargo' ? f.binary : f.logicalId);
    mkdirSync(sub);
    writeFileSync(join(sub, 'bootstrap'), header);
    chmodSync(join(sub, 'bootstrap'), mode);
  }
  return dir;
}

/**
 * A stack whose logical ids are the construct paths below `under` (or below the stack), without
 * CDK's `Resource`/`Default` and hash: `SignIn/PreSignUpFunction/Resource` is
 * `PreSignUpFunction`, as in template.yaml, so the parity test compares resource by resource.
 */
export class TemplateIdStack extends Stack {
  public constructor(
    scope: App,
    id: string,
    private readonly under: string,
    props?: StackProps,
  ) {
    super(scope, id, props);
  }

  protected override allocateLogicalId(element: CfnElement): string {
    const scopes = element.node.scopes;
    const parts = scopes.slice(scopes.indexOf(this) + 1).map((s) => s.node.id);
    if (parts[0] === this.under) parts.shift();
    return parts.filter((p) => p !== 'Resource' && p !== 'Default').join('');
  }
}
