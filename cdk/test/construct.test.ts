// The construct's own behaviour over the synthesized template (aws-cdk-lib/assertions): the
// settings refused at synth as the functions would refuse them, the three ways to get a pool,
// the bootstraps, the names. template.yaml parity is parity.test.ts's.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, AssetStaging, CfnParameter, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { describe, expect, it } from 'vitest';
import { Architecture, PerNumberSendLimit, SmsPasswordless, type SmsPasswordlessProps } from '../src';
import { REPOSITORY } from '../src/bootstraps';
import { cfnValue, refusal, variablesOf } from '../src/template';
import { FUNCTIONS, PARAMETERS } from '../src/template.generated';
import { fakeBootstraps, propsFromParameters } from './helpers';

const ARM64 = fakeBootstraps(Architecture.ARM64);

function synth(props: SmsPasswordlessProps = {}, stack = new Stack(new App(), 'Test')): Template {
  new SmsPasswordless(stack, 'SignIn', { bootstraps: ARM64, ...props });
  return Template.fromStack(stack);
}

/** Each function's environment, by binary (matched on the description template.yaml gives it). */
function environments(template: Template): Map<string, Record<string, unknown>> {
  const out = new Map<string, Record<string, unknown>>();
  for (const resource of Object.values(template.findResources('AWS::Lambda::Function'))) {
    const props = resource.Properties as { Description: string; Environment?: { Variables: Record<string, unknown> } };
    const spec = FUNCTIONS.find((f) => f.description === props.Description);
    if (spec) out.set(spec.binary, props.Environment?.Variables ?? {});
  }
  return out;
}

describe('settings', () => {
  it('every parameter has a prop that gives back its default', () => {
    for (const p of PARAMETERS) {
      expect(cfnValue(p, propsFromParameters({ [p.name]: p.default })[p.prop]), p.name).toBe(p.default);
      expect(refusal(p, p.default), p.name).toBeUndefined();
      // Whole numbers are never lists.
      if (p.kind === 'whole') expect(refusal(p, '1,2'), p.name).toBeDefined();
    }
  });

  it("refuses what a function would refuse, in the function's words", () => {
    const refused = (props: SmsPasswordlessProps): string => {
      try {
        synth(props);
      } catch (e) {
        return String(e);
      }
      throw new Error(`accepted ${JSON.stringify(props)}`);
    };
    // crates/core/src/config.rs: ConfigError's text for OTP_LENGTH=3.
    expect(refused({ otpLength: 3 })).toContain(
      'otpLength: invalid configuration: OTP_LENGTH="3" is not allowed; expected a whole number from 4 to 10',
    );
    expect(refused({ maxSends: 5.5 })).toContain('MAX_SENDS="5.5" is not allowed; expected a whole number from 1 to 5');
    expect(refused({ appName: 'line\nbreak' })).toContain('APP_NAME="line\\nbreak" is not allowed');
    expect(refused({ smsSenderId: 'TOO-LONG-SENDER' })).toContain('SMS_SENDER_ID="TOO-LONG-SENDER" is not allowed');
    expect(refused({ allowedCountryCodes: '4' })).toContain('ALLOWED_COUNTRY_CODES="4" is not allowed');
    expect(refused({ testPhoneNumbers: '+15555550100=123456' })).toContain('TEST_PHONE_NUMBERS=');
    expect(refused({ smsMessageByLocale: '{"fr": "pas de code"}' })).toContain('SMS_MESSAGE_BY_LOCALE=');
    // Parameters no function reads: CloudFormation's rule, in the template's words.
    expect(refused({ accessTokenValidity: 2 })).toContain('AccessTokenValidity="2" is not allowed; expected a whole number from 5 to 1440');
    expect(refused({ authSessionValidity: 16 })).toContain('AuthSessionValidity="16" is not allowed');
    // Every problem at once.
    const both = refused({ otpLength: 11, maxAttempts: 0 });
    expect(both).toContain('OTP_LENGTH="11"');
    expect(both).toContain('MAX_ATTEMPTS="0"');
    // Plain JavaScript callers get the type wrong.
    expect(refused({ otpLength: '6' as unknown as number })).toContain('otpLength: expected a number, got string "6"');
  });

  it('takes tokens where CloudFormation decides nothing by them, and refuses them where it would', () => {
    const stack = new Stack(new App(), 'Tokens');
    const length = new CfnParameter(stack, 'Length', { type: 'Number' });
    const message = new CfnParameter(stack, 'Message');
    const template = synth({ otpLength: length.valueAsNumber, smsMessage: message.valueAsString }, stack);
    const create = environments(template).get('create-auth-challenge');
    expect(create?.OTP_LENGTH).toEqual({ Ref: 'Length' });
    expect(create?.SMS_MESSAGE).toEqual({ Ref: 'Message' });
    const other = new Stack(new App(), 'Decides');
    const email = new CfnParameter(other, 'Email');
    expect(() => synth({ alarmEmail: email.valueAsString }, other)).toThrow(/alarmEmail decides which resources exist/);
  });
});

describe('the functions', () => {
  it("get exactly the variables they read (SETTINGS' read_by) and run as template.yaml's", () => {
    const template = synth({ otpLength: 8 });
    const envs = environments(template);
    for (const f of FUNCTIONS.filter((s) => s.poolSlot !== undefined)) {
      // With a pool of its own no function is told an app client, nor to trust the pool.
      const expected = variablesOf(f.binary)
        .map((v) => v.variable)
        .filter((v) => v !== 'APP_CLIENT_ID' && v !== 'TRUST_POOL_VERIFIED_NUMBERS');
      expect(Object.keys(envs.get(f.binary) ?? {}).sort(), f.binary).toEqual([...expected].sort());
    }
    expect(envs.get('create-auth-challenge')?.OTP_LENGTH).toBe('8');
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'provided.al2023', Handler: 'bootstrap', Architectures: ['arm64'], MemorySize: 128, Timeout: 5 },
      4,
    );
  });

  it("take each function's own bootstrap, in sam build's layout as in cargo lambda's", () => {
    for (const layout of ['sam', 'cargo'] as const) {
      const dir = fakeBootstraps(Architecture.X86_64, layout);
      const stack = new Stack(new App(), 'Layout');
      const signIn = new SmsPasswordless(stack, 'SignIn', { bootstraps: dir, architecture: Architecture.X86_64 });
      // The function's code asset, staged from the bootstrap's directory.
      const staging = signIn.createAuthChallengeFunction.node.findChild('Code').node.findChild('Stage');
      expect(staging).toBeInstanceOf(AssetStaging);
      const source = (staging as AssetStaging).sourcePath;
      expect(source, layout).toBe(join(dir, layout === 'sam' ? 'CreateAuthChallengeFunction' : 'create-auth-challenge'));
      Template.fromStack(stack).resourcePropertiesCountIs('AWS::Lambda::Function', { Architectures: ['x86_64'] }, 4);
    }
  });

  it('refuse bootstraps that are missing, for another architecture, or not executable', () => {
    expect(() => synth({ bootstraps: '/nonexistent' })).toThrow(/no pre-sign-up bootstrap in \/nonexistent/);
    expect(() => synth({ bootstraps: fakeBootstraps(Architecture.X86_64) })).toThrow(
      /pre-sign-up\) is built for x86_64; the functions' architecture is arm64/,
    );
    expect(() => synth({ bootstraps: fakeBootstraps(Architecture.ARM64, 'cargo', 0o644) })).toThrow(/is not executable/);
  });
});

describe('a new pool (the default)', () => {
  it("is template.yaml's pool, with its client, and the web ACL associated", () => {
    const template = synth({ wafRateLimitPer5Minutes: 100 });
    template.hasResource('AWS::Cognito::UserPool', {
      Properties: Match.objectLike({ UserPoolTier: 'LITE', UsernameAttributes: ['phone_number'], DeletionProtection: 'ACTIVE' }),
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      GenerateSecret: false,
      PreventUserExistenceErrors: 'ENABLED',
    });
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    template.resourceCountIs('AWS::Lambda::Permission', 4);
  });

  it('names its resources after the stack and its id, so two in one stack do not clash', () => {
    const stack = new Stack(new App(), 'Two');
    new SmsPasswordless(stack, 'A', { bootstraps: ARM64 });
    new SmsPasswordless(stack, 'B', { bootstraps: ARM64, perNumberSendLimit: PerNumberSendLimit.DISABLED });
    const names = Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup')).map((r) =>
      JSON.stringify((r.Properties as { LogGroupName: unknown }).LogGroupName),
    );
    expect(new Set(names).size).toBe(8);
    expect(names.join()).toContain('-A/pre-sign-up');
    expect(() => {
      const s = new Stack(new App(), 'Same');
      new SmsPasswordless(s, 'A', { bootstraps: ARM64, name: 'signin' });
      new SmsPasswordless(s, 'B', { bootstraps: ARM64, name: 'signin' });
    }).toThrow(/have the same name signin; give one a name/);
    expect(() => synth({ name: 'sign in' })).toThrow(/1 to 64 letters, digits, - and _/);
  });
});

describe('a pool the app defines', () => {
  function appStack(pool: (stack: Stack) => cognito.UserPool): { stack: Stack; signIn: SmsPasswordless } {
    const stack = new Stack(new App(), 'App');
    const signIn = new SmsPasswordless(stack, 'SignIn', { userPool: pool(stack), bootstraps: ARM64 });
    return { stack, signIn };
  }

  it('gets the four triggers with addTrigger, permissions as template.yaml gives them, and a client', () => {
    const { stack, signIn } = appStack((s) => new cognito.UserPool(s, 'Users', { signInAliases: { phone: true } }));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    const pool = Object.values(template.findResources('AWS::Cognito::UserPool'))[0];
    expect(Object.keys((pool?.Properties as { LambdaConfig: object }).LambdaConfig).sort()).toEqual(
      FUNCTIONS.flatMap((f) => (f.poolSlot ? [f.poolSlot] : [])).sort(),
    );
    template.allResources('AWS::Lambda::Permission', {
      Properties: Match.objectLike({ SourceAccount: { Ref: 'AWS::AccountId' }, Principal: 'cognito-idp.amazonaws.com' }),
      DeletionPolicy: 'Retain',
    });
    template.resourceCountIs('AWS::Lambda::Permission', 4);
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    // The web ACL of an app's pool is the app's to associate.
    expect(signIn.webAcl).toBeUndefined();
    expect(signIn.userPool.userPoolId).toBe((stack.node.findChild('Users') as cognito.UserPool).userPoolId);
  });

  it('is refused where pre-sign-up would confirm numbers nobody proved', () => {
    expect(() =>
      Template.fromStack(appStack((s) => new cognito.UserPool(s, 'Users', { signInAliases: { username: true, phone: true } })).stack),
    ).toThrow(/has phone_number as an alias/);
    expect(() =>
      Template.fromStack(
        appStack((s) => {
          const pool = new cognito.UserPool(s, 'Users', { signInAliases: { phone: true } });
          pool.addClient('Web', { authFlows: { userSrp: true } });
          return pool;
        }).stack,
      ),
    ).toThrow(/Users\/Web\/Resource of App\/Users may sign in with a password \(ALLOW_USER_SRP_AUTH/);
  });

  it('is not given together with an existing pool', () => {
    const stack = new Stack(new App(), 'Both');
    const pool = new cognito.UserPool(stack, 'Users');
    expect(() => synth({ userPool: pool, existingUserPoolId: 'us-east-1_Abc123' }, stack)).toThrow(/userPool or existingUserPoolId, not both/);
  });
});

describe('an existing pool', () => {
  it("is attached by the custom resource, with the stack's own client, as template.yaml does", () => {
    const template = synth({ existingUserPoolId: 'us-east-1_Abc123' });
    template.resourceCountIs('AWS::Cognito::UserPool', 0);
    template.hasResourceProperties('Custom::AttachTriggers', {
      UserPoolId: 'us-east-1_Abc123',
      ServiceTimeout: '60',
      ReplaceTriggers: 'false',
      Triggers: Match.objectLike({ PreSignUp: '' }),
      // The logical id its own pool has in the new-pool mode (the same path), for the custom
      // resource's guard against a switch of mode.
      OwnPool: Object.keys(synth().findResources('AWS::Cognito::UserPool'))[0],
    });
    const envs = environments(template);
    expect(envs.get('create-auth-challenge')?.APP_CLIENT_ID).toEqual({ Ref: expect.stringMatching(/^SignInExistingPoolClient/) });
    expect(envs.get('verify-auth-challenge')?.TRUST_POOL_VERIFIED_NUMBERS).toBe('true');
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Timeout: 30 }, 1);
  });

  it('refuses the settings of the other modes', () => {
    expect(() => synth({ existingPoolPreSignUp: true })).toThrow(/existingPoolPreSignUp only apply with existingUserPoolId/);
    expect(() => synth({ existingUserPoolId: 'us-east-1_Abc123', deletionProtection: undefined })).not.toThrow();
    expect(() => synth({ existingUserPoolId: 'us-east-1_Abc123', deletionProtection: 'INACTIVE' as never })).toThrow(
      /deletionProtection only apply to a pool the construct creates/,
    );
    expect(() => synth({ existingUserPoolId: 'not a pool' })).toThrow(/ExistingUserPoolId="not a pool" is not allowed; expected empty, or a user pool id/);
  });
});

it("the package's version is the workspace's (Cargo.toml), as template.yaml's SemanticVersion is", () => {
  const cargo = readFileSync(join(REPOSITORY, 'Cargo.toml'), 'utf8');
  const workspace = /\[workspace\.package\][^[]*?\nversion = "([^"]+)"/.exec(cargo)?.[1];
  const pkg = JSON.parse(readFileSync(join(REPOSITORY, 'cdk', 'package.json'), 'utf8')) as { version: string };
  expect(pkg.version).toBe(workspace);
});

it('the example app (docs/cdk.md) synthesizes, its functions prebuilt (cdk synth -c bootstraps=...)', () => {
  const cdk = join(REPOSITORY, 'cdk');
  const out = mkdtempSync(join(tmpdir(), 'sms-passwordless-example-'));
  execFileSync(join(cdk, 'node_modules', '.bin', 'tsx'), ['--tsconfig', 'tsconfig.dev.json', 'example/app.ts'], {
    cwd: cdk,
    env: { ...process.env, CDK_OUTDIR: out, CDK_CONTEXT_JSON: JSON.stringify({ bootstraps: ARM64 }) },
    timeout: 60_000,
  });
  const template = JSON.parse(readFileSync(join(out, 'SmsPasswordless.template.json'), 'utf8')) as { Outputs: object };
  expect(Object.keys(template.Outputs)).toEqual(['UserPoolId', 'UserPoolClientId']);
});
