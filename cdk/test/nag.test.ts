// cdk-nag's AwsSolutions pack over the construct in each of its modes, with every optional
// resource on: no error and no warning left. Each finding that does not apply is suppressed on
// its resource in the construct itself (sms-passwordless.ts, suppress()), with its reason, as
// template.yaml skips checkov's.
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { Architecture, SmsPasswordless, type SmsPasswordlessProps } from '../src';
import { fakeBootstraps } from './helpers';

const EVERYTHING_ON: SmsPasswordlessProps = {
  alarmEmail: 'ops@example.com',
  smsMonthlySpendAlarmUsd: '25',
  wafRateLimitPer5Minutes: 100,
  wrongAnswersPerHourAlarmThreshold: 40,
};

/** What cdk-nag finds in a default UserPool (and its SMS role): the app's to decide, not the construct's. */
const APP_POOL = ['COG1', 'COG2', 'COG3', 'COG8', 'IAM5[Resource::*]'].map((rule) => ({ id: `AwsSolutions-${rule}`, reason: "the test app's own pool, at CDK's defaults" }));

/** cdk-nag's findings in the app `build` makes that nobody acknowledged, one line each. */
function findings(build: (stack: Stack) => void): string[] {
  const app = new App();
  const stack = new Stack(app, 'Nag');
  build(stack);
  app.synth();
  // validateScope: cdk-nag's entry point for a CDK without the construct tree on its validation
  // context (as the pinned aws-cdk-lib, the peer dependency's minimum).
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}: ${v.description}`));
}

describe('cdk-nag AwsSolutions finds nothing unexplained', () => {
  const bootstraps = fakeBootstraps(Architecture.ARM64);
  it('with a new pool', () => {
    expect(findings((s) => new SmsPasswordless(s, 'SignIn', { ...EVERYTHING_ON, bootstraps }))).toEqual([]);
  });

  it('with an existing pool, pre-sign-up and its SMS role', () => {
    const existing: SmsPasswordlessProps = {
      existingUserPoolId: 'us-east-1_Abc123',
      existingPoolPreSignUp: true,
      existingPoolSmsRoleArn: 'arn:aws:iam::123456789012:role/pool-sms',
    };
    expect(findings((s) => new SmsPasswordless(s, 'SignIn', { ...EVERYTHING_ON, ...existing, bootstraps }))).toEqual([]);
  });

  it("with a pool the app defines (the construct's resources; the pool is the app's to judge)", () => {
    const found = findings((s) => {
      const userPool = new cognito.UserPool(s, 'Users', { signInAliases: { phone: true } });
      // The app's pool, as an app that runs cdk-nag would judge it.
      Validations.of(userPool).acknowledge(...APP_POOL);
      new SmsPasswordless(s, 'SignIn', { ...EVERYTHING_ON, userPool, bootstraps });
    });
    expect(found).toEqual([]);
  });
});
