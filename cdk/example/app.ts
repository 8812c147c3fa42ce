// A complete CDK app: passwordless SMS sign-in on a new Cognito user pool, with the two ids a
// client needs as outputs. `make cdk-synth` synthesizes it into cdk/cdk.out (docs/cdk.md).
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { SmsPasswordless } from 'sms-passwordless-cdk';

const app = new App();
const stack = new Stack(app, 'SmsPasswordless');
// Prebuilt functions (a CI without Rust): cdk synth -c bootstraps=<dir>, such as sam build's .aws-sam/build;
// without it, cargo lambda builds them.
const bootstraps: string | undefined = app.node.tryGetContext('bootstraps');

const signIn = new SmsPasswordless(stack, 'SignIn', {
  allowedCountryCodes: '1,44', // the countries you serve: the strongest guard against SMS pumping
  alarmEmail: 'ops@example.com', // confirm the subscription AWS mails
  bootstraps,
});

new CfnOutput(stack, 'UserPoolId', { value: signIn.userPool.userPoolId });
new CfnOutput(stack, 'UserPoolClientId', { value: signIn.userPoolClient.userPoolClientId });
