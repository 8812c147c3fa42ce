// The two templates in one form, so that what differs is what deploys differently:
// template.yaml expanded by SAM (tools/sam_expand.py, which also resolves parameters and
// conditions) and the construct's synthesized template (logical ids as template.yaml's, see
// TemplateIdStack). Then every difference, as a path and the two values.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPOSITORY } from '../src/bootstraps';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Resources = Record<string, { [key: string]: Json }>;

const PYTHON = join(REPOSITORY, '.venv', 'ministack', 'bin', 'python');

/** template.yaml as CloudFormation would create it with `parameters`, SAM expanded. */
export function expandedTemplate(parameters: Readonly<Record<string, string>>): Resources {
  if (!existsSync(PYTHON)) {
    throw new Error(`no ${PYTHON} (aws-sam-translator): run tools/install.sh ministack`);
  }
  const args = [join(REPOSITORY, 'tools', 'sam_expand.py'), ...Object.entries(parameters).map(([k, v]) => `${k}=${v}`)];
  const out = execFileSync(PYTHON, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return (JSON.parse(out) as { Resources: Resources }).Resources;
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One template's resources in the common form:
 * - `renames` applied to logical ids and every reference to them;
 * - `Fn::Join` of text and references written as the `Fn::Sub` it equals, text without references
 *   as text, numbers and booleans as the strings CloudFormation hands over;
 * - IAM: each role's statements, from its inline policies (SAM) and from the `AWS::IAM::Policy`
 *   resources attached to it (CDK), as one list in `Statements`, sorted; single values as lists;
 * - no `Metadata` (build hints, scanner suppressions, CDK paths: nothing that deploys);
 * - an absent `DeletionPolicy` or `UpdateReplacePolicy` as `Delete`, CloudFormation's default
 *   for every type here.
 */
export function normalize(resources: Resources, renames: ReadonlyArray<[RegExp, string]> = []): Resources {
  const rename = (id: string): string => renames.reduce((name, [from, to]) => name.replace(from, to), id);
  const refs = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(refs);
    if (!isObject(v)) return v;
    const out: { [key: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string') out[k] = rename(x);
      else if (k === 'Fn::GetAtt' && Array.isArray(x) && typeof x[0] === 'string') out[k] = [rename(x[0]), ...x.slice(1)];
      else if (k === 'Fn::Sub' && typeof x === 'string') out[k] = x.replace(/\$\{([^}.]+)/g, (_, id: string) => `\${${rename(id)}`);
      else out[k] = refs(x);
    }
    return out;
  };
  const renamed: Resources = {};
  for (const [id, r] of Object.entries(resources)) {
    const copy = refs(r) as { [key: string]: Json };
    if (Array.isArray(copy.DependsOn)) copy.DependsOn = copy.DependsOn.map((d) => (typeof d === 'string' ? rename(d) : d));
    else if (typeof copy.DependsOn === 'string') copy.DependsOn = [rename(copy.DependsOn)];
    renamed[rename(id)] = copy;
  }

  const out: Resources = {};
  for (const [id, r] of Object.entries(renamed)) {
    if (r.Type === 'AWS::IAM::Policy') continue;
    const copy = canonical(r) as { [key: string]: Json };
    delete copy.Metadata;
    copy.DeletionPolicy ??= 'Delete';
    copy.UpdateReplacePolicy ??= 'Delete';
    if (Array.isArray(copy.DependsOn)) copy.DependsOn = [...copy.DependsOn].sort();
    const props = copy.Properties;
    if (copy.Type === 'AWS::IAM::Role' && isObject(props)) {
      const statements: Json[] = [];
      for (const p of Array.isArray(props.Policies) ? props.Policies : []) {
        if (isObject(p) && isObject(p.PolicyDocument)) statements.push(...asList(p.PolicyDocument.Statement));
      }
      for (const policy of Object.values(renamed)) {
        const pp = policy.Properties;
        if (policy.Type !== 'AWS::IAM::Policy' || !isObject(pp) || !isObject(pp.PolicyDocument)) continue;
        if (asList(pp.Roles).some((role) => isObject(role) && role.Ref === id)) {
          statements.push(...asList(canonical(pp.PolicyDocument.Statement ?? [])));
        }
      }
      delete props.Policies;
      props.Statements = sortedStatements(statements);
      if (isObject(props.AssumeRolePolicyDocument)) props.AssumeRolePolicyDocument = policyDocument(props.AssumeRolePolicyDocument);
    }
    if (copy.Type === 'AWS::KMS::Key' && isObject(props) && isObject(props.KeyPolicy)) {
      props.KeyPolicy = policyDocument(props.KeyPolicy);
    }
    out[id] = copy;
  }
  return out;
}

function asList(v: Json | undefined): Json[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function policyDocument(doc: { [key: string]: Json }): Json {
  return { ...doc, Statement: sortedStatements(asList(doc.Statement)) };
}

/** Statements with every action, resource and principal as a list, sorted by their JSON. */
function sortedStatements(statements: Json[]): Json[] {
  const lists = ['Action', 'NotAction', 'Resource', 'NotResource'];
  return statements
    .map((s) => {
      if (!isObject(s)) return s;
      const copy: { [key: string]: Json } = { ...s };
      for (const k of lists) if (copy[k] !== undefined) copy[k] = asList(copy[k]);
      const principal = copy.Principal;
      if (isObject(principal)) {
        copy.Principal = Object.fromEntries(Object.entries(principal).map(([k, v]) => [k, asList(v)]));
      }
      return copy;
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

/** Intrinsics in one spelling; scalars as the strings CloudFormation hands over. */
function canonical(v: Json): Json {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(canonical);
  if (!isObject(v)) return v;
  const join = v['Fn::Join'];
  if (Object.keys(v).length === 1 && Array.isArray(join) && join[0] === '' && Array.isArray(join[1])) {
    let text = '';
    for (const part of join[1]) {
      if (typeof part === 'string') text += part;
      else if (isObject(part) && typeof part.Ref === 'string') text += `\${${part.Ref}}`;
      else if (isObject(part) && Array.isArray(part['Fn::GetAtt'])) text += `\${${part['Fn::GetAtt'].join('.')}}`;
      else return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
    }
    return text.includes('${') ? { 'Fn::Sub': text } : text;
  }
  const sub = v['Fn::Sub'];
  if (Object.keys(v).length === 1 && typeof sub === 'string' && !sub.includes('${')) return sub;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canonical(x)]));
}

/** One difference: where, and each side's value (undefined: absent on that side). */
export interface Difference {
  readonly path: string;
  readonly template: Json | undefined;
  readonly cdk: Json | undefined;
}

/** Every difference between two resource sets, down to the leaves. */
export function differences(template: Resources, cdk: Resources): Difference[] {
  const out: Difference[] = [];
  const walk = (path: string, a: Json | undefined, b: Json | undefined): void => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(`${path}.${i}`, x, b[i]));
    } else if (isObject(a) && isObject(b)) {
      for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(`${path}.${k}`, a[k], b[k]);
    } else {
      out.push({ path, template: a, cdk: b });
    }
  };
  for (const id of new Set([...Object.keys(template), ...Object.keys(cdk)])) walk(id, template[id], cdk[id]);
  return out;
}
