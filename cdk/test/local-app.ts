// The app tools/cdk-e2e.sh deploys onto the local emulator: the construct with the parameters it
// is given (samconfig.toml's local ones, as `Key=Value` arguments), built for this machine by
// cargo lambda at synth time, and a synthesizer that needs no bootstrap stack: no bootstrap
// version rule, file assets in the one bucket the script creates and fills
// (tools/cdk_assets.py). The outputs are the ones the Rust client reads (signin-client). The app
// synthesizes when the process ends, into CDK_OUTDIR.
//
//   CDK_OUTDIR=cdk.out.local LOCAL_APP_STACK=<stack> LOCAL_APP_BUCKET=<bucket> tsx test/local-app.ts Key=Value ...
import { App, Aws, CfnOutput, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
import { SmsPasswordless } from '../src';
import { parseParameters, propsFromParameters } from './helpers';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (tools/cdk-e2e.sh sets it)`);
  return value;
}

const app = new App({ analyticsReporting: false });
const stack = new Stack(app, required('LOCAL_APP_STACK'), {
  synthesizer: new DefaultStackSynthesizer({
    generateBootstrapVersionRule: false,
    fileAssetsBucketName: required('LOCAL_APP_BUCKET'),
    bucketPrefix: '',
  }),
});
const signIn = new SmsPasswordless(stack, 'SignIn', propsFromParameters(parseParameters(process.argv.slice(2))));
new CfnOutput(stack, 'UserPoolId', { value: signIn.userPool.userPoolId });
new CfnOutput(stack, 'UserPoolClientId', { value: signIn.userPoolClient.userPoolClientId });
new CfnOutput(stack, 'Region', { value: Aws.REGION });
