// The construct against template.yaml: for the same settings, the synthesized template and the
// template SAM expands are the same, resource by resource and property by property (pool and
// client settings, function environments, IAM statements, alarms, web ACL, permissions, the
// existing pool's custom resource), but for the differences listed in EXPLAINED, each with why.
// A difference not listed fails; so does a listed one that no scenario shows any more.
import { App, Aws } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { afterAll, describe, expect, it } from 'vitest';
import { Architecture, SmsPasswordless } from '../src';
import { fakeBootstraps, propsFromParameters, TemplateIdStack } from './helpers';
import { differences, expandedTemplate, normalize, type Difference } from './parity';

/** Every difference the comparison may find, and why it does not change what deploys. */
const EXPLAINED: ReadonlyArray<{ readonly path: RegExp; readonly why: string }> = [
  {
    path: /^\w+Function\.Properties\.Code\.S3(Bucket|Key)$/,
    why:
      "Where the code is uploaded: SAM's stand-in for what sam package uploads, and the construct's asset. Both hold the release bootstrap of the same binary (construct.test.ts checks the construct takes each function's own, for the right architecture).",
  },
  {
    path: /^\w+Function(Role)?\.Properties\.Tags$/,
    why: 'SAM tags each function and role it makes lambda:createdBy=SAM; CDK adds no tag.',
  },
  {
    path: /^\w+FunctionRole\.Properties\.ManagedPolicyArns\.0$/,
    why:
      'The same AWS managed policy, AWSLambdaBasicExecutionRole: SAM writes the partition of the region it translated in (aws), CDK writes ${AWS::Partition}.',
  },
  {
    path: /^\w+Function\.DependsOn$/,
    why:
      "CDK makes each function wait for its role and the role's policy (a separate AWS::IAM::Policy); SAM puts the statements inside the role, which the function's Role: !GetAtt already waits for.",
  },
  {
    path: /^AttachTriggers\.Properties\.OwnPool$/,
    why:
      "The logical id of the construct's own pool (new-pool mode), where the custom resource looks for one before it attaches (a stack that switched modes would delete that pool); template.yaml's is UserPool, the custom resource's default.",
  },
  {
    path: /^(UserPool\.|AppPoolsmsRole$)/,
    why:
      "With userPool (a pool the app defines) the pool, and the SMS role CDK makes for its phone sign-in, are the app's, with the app's settings; the construct only fills its four trigger slots (construct.test.ts), as addTrigger does.",
  },
];

/** The scenarios: template parameters, set the same way on both sides. */
const SCENARIOS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'the defaults: a new pool': {},
  'a new pool with every option on': {
    AlarmEmail: 'ops@example.com',
    SmsMonthlySpendAlarmUsd: '12.5',
    WafRateLimitPer5Minutes: '100',
    WrongAnswersPerHourAlarmThreshold: '40',
    Architecture: 'x86_64',
    DeletionProtection: 'INACTIVE',
    LogLevel: 'DEBUG',
    LogRetentionInDays: '7',
    OtpLength: '8',
    OtpTtlSeconds: '120',
    AuthSessionValidity: '10',
    AccessTokenValidity: '30',
    RefreshTokenValidity: '7',
    AllowedCountryCodes: '1,44',
    TestPhoneNumbers: '+15555550111=13579024',
    SmsMessageByLocale: '{"fr": "{code} est votre code"}',
    SmsMaxPriceUsd: '0.05',
    AutoVerifyPhone: 'false',
    SignUpAttributes: 'locale,name',
    MetricsNamespace: 'Acme/SignIn',
  },
  'no per-number table and every alarm off': {
    PerNumberSendLimit: 'Disabled',
    SmsFailureRateAlarmPercent: '0',
    TriggerErrorsAlarmThreshold: '0',
    LockoutsAlarmThreshold: '0',
    NumberLocksAlarmThreshold: '0',
    PrefixPausesAlarmThreshold: '0',
    PoolCeilingAlarmThreshold: '0',
  },
  'an existing pool': { ExistingUserPoolId: 'us-east-1_Abc123' },
  'an existing pool with pre-sign-up, its SMS role and a web ACL': {
    ExistingUserPoolId: 'eu-west-1_Xyz789',
    ExistingPoolPreSignUp: 'true',
    ExistingPoolReplaceTriggers: 'true',
    ExistingPoolSmsRoleArn: 'arn:aws:iam::123456789012:role/pool-sms',
    ExistingPoolRevision: 'r2',
    WafRateLimitPer5Minutes: '100',
    AlarmEmail: 'ops@example.com',
  },
};

const used = new Set<RegExp>();

/** The differences of one synthesized stack from template.yaml with `parameters`; explained ones used. */
function unexplained(stack: TemplateIdStack, parameters: Readonly<Record<string, string>>, renames: ReadonlyArray<[RegExp, string]> = []): Difference[] {
  const cdk = normalize(Template.fromStack(stack).toJSON().Resources, [[/ServiceRole(?=DefaultPolicy|$)/, 'Role'], ...renames]);
  const sam = normalize(expandedTemplate(parameters));
  return differences(sam, cdk).filter((d) => {
    const why = EXPLAINED.find((e) => e.path.test(d.path));
    if (why) used.add(why.path);
    return !why;
  });
}

function construct(parameters: Readonly<Record<string, string>>): TemplateIdStack {
  const stack = new TemplateIdStack(new App(), 'Parity', 'SignIn');
  const architecture = parameters.Architecture === 'x86_64' ? Architecture.X86_64 : Architecture.ARM64;
  // name: the stack's name, as template.yaml names its resources (the construct's default adds its id).
  new SmsPasswordless(stack, 'SignIn', { ...propsFromParameters(parameters), name: Aws.STACK_NAME, bootstraps: fakeBootstraps(architecture) });
  return stack;
}

describe('the synthesized template is template.yaml expanded by SAM', () => {
  for (const [scenario, parameters] of Object.entries(SCENARIOS)) {
    it(scenario, () => {
      expect(unexplained(construct(parameters), parameters)).toEqual([]);
    });
  }

  it("with a pool the app defines: all but the pool, as template.yaml's own pool", () => {
    const stack = new TemplateIdStack(new App(), 'Parity', 'SignIn');
    const pool = new cognito.UserPool(stack, 'AppPool', { signInAliases: { phone: true } });
    new SmsPasswordless(stack, 'SignIn', { userPool: pool, name: Aws.STACK_NAME, bootstraps: fakeBootstraps(Architecture.ARM64) });
    // The app's pool in template.yaml's place, addTrigger's permissions in template.yaml's.
    const renames: Array<[RegExp, string]> = [
      [/^AppPool$/, 'UserPool'],
      [/^AppPool(PreSignUp|DefineAuthChallenge|CreateAuthChallenge|VerifyAuthChallenge)(Response)?Cognito$/, '$1InvokePermission'],
    ];
    expect(unexplained(stack, {}, renames)).toEqual([]);
  });

  it('sees a difference where there is one', () => {
    const stack = construct({});
    const cdk = normalize(Template.fromStack(stack).toJSON().Resources, [[/ServiceRole(?=DefaultPolicy|$)/, 'Role']]);
    const sam = normalize(expandedTemplate({ MaxAttempts: '4', WafRateLimitPer5Minutes: '100' }));
    const paths = differences(sam, cdk).map((d) => d.path);
    expect(paths).toContain('DefineAuthChallengeFunction.Properties.Environment.Variables.MAX_ATTEMPTS');
    expect(paths).toContain('WebAcl');
  });

  afterAll(() => {
    // Run alone (vitest -t), a test leaves explanations unused; only the whole file judges them.
    if (used.size > 0) {
      const stale = EXPLAINED.filter((e) => !used.has(e.path)).map((e) => String(e.path));
      expect(stale, 'explained differences no scenario shows any more: remove them').toEqual([]);
    }
  });
});
