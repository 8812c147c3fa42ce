// SmsPasswordless: the stack template.yaml deploys, as one CDK construct. Every setting, default,
// range and variable comes from template.generated.ts (cargo xtask cdk); the resources follow
// template.yaml's, property for property, and test/parity.test.ts holds the synthesized template
// to template.yaml expanded by SAM, failing on any difference it does not list and explain.
import {
  Aws,
  CfnDeletionPolicy,
  CfnResource,
  CustomResource,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { bootstrapDirs } from './bootstraps';
import { Architecture, PerNumberSendLimit, type SmsPasswordlessSettings } from './settings.generated';
import { cfnValue, parameter, refusal, variablesOf, type FunctionSpec } from './template';
import { FUNCTIONS, PARAMETERS } from './template.generated';

/** The construct's props: the template's settings, and where the pool and the code come from. */
export interface SmsPasswordlessProps extends SmsPasswordlessSettings {
  /**
   * A user pool this app defines: the four triggers are added to it with `addTrigger`, and the
   * construct adds its own app client. As with the template's own pool, the triggers serve every
   * app client of the pool, so synth refuses a pool that has `phone_number` as an alias or another
   * client of this stack that signs in with a password (pre-sign-up confirms a number nobody proved).
   * Not together with `existingUserPoolId`.
   *
   * @default - a new pool, as template.yaml creates it
   */
  readonly userPool?: cognito.UserPool;

  /**
   * A directory of prebuilt release bootstraps for `architecture`: `<dir>/<LogicalId>/bootstrap` as
   * `sam build` writes them (`.aws-sam/build`), or `<dir>/<binary>/bootstrap` as
   * `cargo lambda build --release` does (`target/lambda`). Lets a CI synth without Rust.
   *
   * @default - built at synth time: `cargo lambda build --release` in `cargoWorkspace`
   */
  readonly bootstraps?: string;

  /**
   * The Cargo workspace to build the bootstraps in, when `bootstraps` is not given.
   *
   * @default - the repository this package is in
   */
  readonly cargoWorkspace?: string;

  /**
   * The start of the names of the pool (`<name>-users`), the app client (`<name>-app`), the log
   * groups (`/aws/lambda/<name>/<function>`), the web ACL (`<name>-sign-in`) and the alarm key's
   * alias (`alias/<name>-alarms`). template.yaml uses the stack name; the default adds the
   * construct's id, so two instances in one stack never clash. Letters, digits, `-` and `_`.
   *
   * @default - `<stack name>-<construct id>`
   */
  readonly name?: string;
}

/** How the construct gets its pool. */
enum Mode {
  /** A pool of its own (template.yaml: ExistingUserPoolId empty). */
  NEW,
  /** A pool the same app defines (`userPool`). */
  APP,
  /** A pool by id, attached by the custom resource (template.yaml: ExistingUserPoolId). */
  EXISTING,
}

// Props that mean something only for one way of getting the pool.
const EXISTING_POOL_ONLY = ['ExistingPoolReplaceTriggers', 'ExistingPoolPreSignUp', 'ExistingPoolSmsRoleArn', 'ExistingPoolRevision'];
const OWN_POOL_ONLY = ['DeletionProtection'];

// The app client's properties but its pool, the same in every mode (template.yaml's
// UserPoolClient and ExistingPoolClient, which crates/core/tests/template.rs holds the same).
// What a signed-in user may change of their own account: every standard attribute but
// phone_number, the account's identity and where its codes go.
const WRITE_ATTRIBUTES = [
  'address', 'birthdate', 'email', 'family_name', 'gender', 'given_name', 'locale', 'middle_name', 'name',
  'nickname', 'picture', 'preferred_username', 'profile', 'updated_at', 'website', 'zoneinfo',
];

// Cognito's flows that sign in with a password; a client with none listed gets Cognito's default,
// which has them (crates/attach-triggers/src/checks.rs refuses the same for an existing pool).
const PASSWORD_FLOWS = ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_ADMIN_USER_PASSWORD_AUTH'];

/** cdk-nag's AwsSolutions findings that do not apply, with why (as template.yaml's checkov skips). */
type Suppressions = ReadonlyArray<{ readonly id: string; readonly reason: string }>;

/**
 * Passwordless SMS sign-in for an Amazon Cognito user pool on the Lite tier: the four Rust
 * triggers, their per-number table, alarms and optional web ACL, as template.yaml deploys them,
 * on a new pool, on a pool the app defines, or attached to an existing pool by id.
 */
export class SmsPasswordless extends Construct {
  /** The user pool the sign-in runs on. */
  public readonly userPool: cognito.IUserPool;
  /** The construct's app client: CUSTOM_AUTH and refresh only, no secret. */
  public readonly userPoolClient: cognito.IUserPoolClient;
  public readonly preSignUpFunction: lambda.IFunction;
  public readonly defineAuthChallengeFunction: lambda.IFunction;
  public readonly createAuthChallengeFunction: lambda.IFunction;
  public readonly verifyAuthChallengeFunction: lambda.IFunction;
  /** The per-number table (SMS counts, wrong answers, pumping breakers); absent with perNumberSendLimit DISABLED. */
  public readonly table?: dynamodb.ITable;
  /** The topic every alarm notifies; only with alarmEmail. */
  public readonly alarmTopic?: sns.ITopic;
  /**
   * The web ACL, with wafRateLimitPer5Minutes. Associated with a new pool only: a pool takes one
   * web ACL, so for your own or an existing pool associate it yourself (or copy its rule).
   */
  public readonly webAcl?: wafv2.CfnWebACL;

  /** Each setting as CloudFormation would hand it over: a string, or a token's string. */
  private readonly values = new Map<string, string>();
  private readonly mode: Mode;
  private readonly prefix: string;
  /** The triggers' functions, by binary. */
  private readonly functions = new Map<string, lambda.Function>();

  public constructor(scope: Construct, id: string, props: SmsPasswordlessProps = {}) {
    super(scope, id);
    this.readSettings(props);
    if (props.userPool && this.decided('ExistingUserPoolId') !== '') {
      throw new Error(`${this.node.path}: give userPool or existingUserPoolId, not both`);
    }
    this.mode = props.userPool ? Mode.APP : this.decided('ExistingUserPoolId') !== '' ? Mode.EXISTING : Mode.NEW;
    this.refuseSettingsOfOtherModes(props);
    this.prefix = this.namePrefix(id, props.name);

    // ---------------------------------------------------------------- per number across sign-ins
    let table: dynamodb.Table | undefined;
    if (this.decided('PerNumberSendLimit') === PerNumberSendLimit.ENABLED) {
      table = new dynamodb.Table(this, 'SendLimitTable', {
        partitionKey: { name: 'phone', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'day', type: dynamodb.AttributeType.NUMBER },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'expiresAt',
        // Counts only: nothing to keep on deletion.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      suppress(table, [
        {
          id: 'AwsSolutions-DDB3',
          reason:
            'No point-in-time recovery: the table holds counters that expire within 30 days (TTL); restoring old counts would only undo limits, and a lost table starts from zero safely.',
        },
      ]);
      this.table = table;
    }

    // ---------------------------------------------------------------- the pool (1 of 2)
    const existingPoolId = this.value('ExistingUserPoolId');
    const existingPoolArn = `arn:${Aws.PARTITION}:cognito-idp:${Aws.REGION}:${Aws.ACCOUNT_ID}:userpool/${existingPoolId}`;
    const attachesPreSignUp = this.mode === Mode.EXISTING && this.decided('ExistingPoolPreSignUp') === 'true';

    // ---------------------------------------------------------------- functions
    const architecture = this.member('Architecture', Architecture);
    const triggers = FUNCTIONS.filter((f) => f.poolSlot !== undefined);
    const attach = FUNCTIONS.find((f) => f.binary === 'attach-triggers');
    if (!attach) throw new Error('template.yaml has no attach-triggers function (regenerate: cargo xtask cdk)');
    const built = [...triggers, ...(this.mode === Mode.EXISTING ? [attach] : [])];
    const code = bootstrapDirs(new Map(built.map((f) => [f.binary, f.logicalId])), architecture, props);

    // The existing pool's client is made before the functions, which are told its id.
    let client: cognito.CfnUserPoolClient | undefined;
    if (this.mode === Mode.EXISTING) {
      client = this.appClient('ExistingPoolClient', existingPoolId);
      // Deleted with the stack: nothing of the stack stays in the customer's pool.
      policies(client, CfnDeletionPolicy.DELETE, CfnDeletionPolicy.DELETE);
    }
    for (const spec of triggers) {
      const environment: Record<string, string> = {};
      for (const v of variablesOf(spec.binary)) {
        const value = this.variable(v.variable, v.parameter, table, client, attachesPreSignUp);
        if (value !== undefined) environment[v.variable] = value;
      }
      this.functions.set(spec.binary, this.function(spec, architecture, code, Duration.seconds(5), environment));
    }
    const fn = (binary: string): lambda.Function => this.functionOf(binary);
    this.preSignUpFunction = fn('pre-sign-up');
    this.defineAuthChallengeFunction = fn('define-auth-challenge');
    this.createAuthChallengeFunction = fn('create-auth-challenge');
    this.verifyAuthChallengeFunction = fn('verify-auth-challenge');

    // SMS straight to phone numbers: a Publish with PhoneNumber has no resource ARN ...
    this.createAuthChallengeFunction.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'PublishSmsToPhoneNumbers', actions: ['sns:Publish'], resources: ['*'] }),
    );
    // ... and never to a topic or a platform (push) endpoint.
    this.createAuthChallengeFunction.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'DenyPublishToTopicsAndEndpoints',
        effect: iam.Effect.DENY,
        actions: ['sns:Publish'],
        resources: [`arn:${Aws.PARTITION}:sns:*:*:*`],
      }),
    );
    if (table) {
      // Per round that would send: the retry guard, one read of the number's records and its
      // areas, the pool's ceiling, the prefix's budget (template.yaml says which call is which).
      this.createAuthChallengeFunction.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'CountSmsPerNumberAndPrefix',
          actions: ['dynamodb:UpdateItem', 'dynamodb:BatchGetItem'],
          resources: [table.tableArn],
        }),
      );
      // Per answer, on the number's answer record; a first right answer counts per area.
      this.verifyAuthChallengeFunction.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'CountAnswersPerNumber',
          actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
          resources: [table.tableArn],
        }),
      );
    }
    const createPolicy = this.createAuthChallengeFunction.role?.node.tryFindChild('DefaultPolicy');
    if (createPolicy) {
      suppress(createPolicy, [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'SMS straight to a phone number is a Publish with no resource ARN, so the Allow is on *; the Deny beside it (arn:...:sns:*:*:*) keeps it off every topic and platform endpoint.',
        },
      ]);
    }

    // ---------------------------------------------------------------- the pool (2 of 2)
    let poolId: string;
    let poolArn: string;
    let pool: cognito.CfnUserPool | undefined;
    if (this.mode === Mode.NEW) {
      pool = new cognito.CfnUserPool(this, 'UserPool', {
        userPoolName: `${this.prefix}-users`,
        userPoolTier: 'LITE',
        usernameAttributes: ['phone_number'],
        mfaConfiguration: 'OFF',
        // No self-service recovery: there is no password to recover and no Cognito-sent SMS.
        accountRecoverySetting: { recoveryMechanisms: [{ name: 'admin_only', priority: 1 }] },
        adminCreateUserConfig: { allowAdminCreateUserOnly: false },
        deletionProtection: this.value('DeletionProtection'),
        lambdaConfig: {
          preSignUp: this.preSignUpFunction.functionArn,
          defineAuthChallenge: this.defineAuthChallengeFunction.functionArn,
          createAuthChallenge: this.createAuthChallengeFunction.functionArn,
          verifyAuthChallengeResponse: this.verifyAuthChallengeFunction.functionArn,
        },
      });
      // Deletion is guarded by deletionProtection; a replacement keeps the old pool and its users.
      policies(pool, CfnDeletionPolicy.DELETE, CfnDeletionPolicy.RETAIN);
      suppress(pool, [
        {
          id: 'AwsSolutions-COG1',
          reason:
            'No password sign-in: the app client allows CUSTOM_AUTH (the SMS code) and refresh only; the password SignUp demands is random and never used.',
        },
        {
          id: 'AwsSolutions-COG2',
          reason: 'The SMS code is the sign-in factor itself; MFA on top needs Cognito-sent SMS, which this pool does without.',
        },
        {
          id: 'AwsSolutions-COG3',
          reason:
            "The Lite tier has no threat protection; the triggers' limits per sign-in, per number and per area, and the optional web ACL, stand in for it.",
        },
        {
          id: 'AwsSolutions-COG8',
          reason:
            "Lite on purpose: the product is SMS sign-in without Essentials' or Plus' price; Plus' protections are for passwords, which this pool does not sign in with.",
        },
      ]);
      poolId = pool.ref;
      poolArn = pool.attrArn;
      this.userPool = cognito.UserPool.fromUserPoolId(this, 'UserPoolRef', pool.ref);
    } else if (this.mode === Mode.APP && props.userPool) {
      poolId = props.userPool.userPoolId;
      poolArn = props.userPool.userPoolArn;
      this.userPool = props.userPool;
    } else {
      poolId = existingPoolId;
      poolArn = existingPoolArn;
      this.userPool = cognito.UserPool.fromUserPoolId(this, 'UserPoolRef', existingPoolId);
    }

    // ---------------------------------------------------------------- only this pool may invoke them
    // DeletionPolicy Retain on the invoke permissions and the app client: a protected pool's failed
    // deletion then leaves sign-in working (template.yaml explains it at its permissions).
    if (this.mode === Mode.APP && props.userPool) {
      const operations: Record<string, cognito.UserPoolOperation> = {
        PreSignUp: cognito.UserPoolOperation.PRE_SIGN_UP,
        DefineAuthChallenge: cognito.UserPoolOperation.DEFINE_AUTH_CHALLENGE,
        CreateAuthChallenge: cognito.UserPoolOperation.CREATE_AUTH_CHALLENGE,
        VerifyAuthChallengeResponse: cognito.UserPoolOperation.VERIFY_AUTH_CHALLENGE_RESPONSE,
      };
      for (const spec of triggers) {
        const operation = operations[spec.poolSlot ?? ''];
        if (!operation) throw new Error(`no user pool operation for the slot ${spec.poolSlot}`);
        props.userPool.addTrigger(operation, fn(spec.binary));
      }
      // addTrigger's permissions (wherever CDK puts them), made like template.yaml's: also scoped
      // to this account, and retained.
      const stack = Stack.of(props.userPool);
      const ours = triggers.map((t) => JSON.stringify(stack.resolve(fn(t.binary).functionArn)));
      for (const c of stack.node.findAll()) {
        if (c instanceof lambda.CfnPermission && ours.includes(JSON.stringify(stack.resolve(c.functionName)))) {
          c.sourceAccount = Aws.ACCOUNT_ID;
          policies(c, CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.DELETE);
        }
      }
      this.node.addValidation({ validate: () => appPoolProblems(props.userPool, this) });
    } else {
      for (const spec of triggers) {
        const permission = new lambda.CfnPermission(this, spec.logicalId.replace(/Function$/, 'InvokePermission'), {
          action: 'lambda:InvokeFunction',
          functionName: fn(spec.binary).functionArn,
          principal: 'cognito-idp.amazonaws.com',
          sourceArn: poolArn,
          sourceAccount: Aws.ACCOUNT_ID,
        });
        policies(permission, CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.DELETE);
      }
    }

    // ---------------------------------------------------------------- the app client
    if (!client) {
      client = this.appClient('UserPoolClient', poolId);
      // Retain: see the invoke permissions (deleted with the pool when the pool is deleted).
      policies(client, CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.DELETE);
    }
    this.userPoolClient = cognito.UserPoolClient.fromUserPoolClientId(this, 'UserPoolClientRef', client.ref);

    // ---------------------------------------------------------------- an existing pool
    if (this.mode === Mode.EXISTING) {
      this.attachTriggers(attach, architecture, code, existingPoolId, existingPoolArn, client, attachesPreSignUp);
    }

    // ---------------------------------------------------------------- alarms
    this.alarmTopic = this.alarms(poolId);

    // ---------------------------------------------------------------- optional WAF on the pool
    if (this.decided('WafRateLimitPer5Minutes') !== '0') {
      this.webAcl = this.webAclFor(pool);
    }
  }

  /** Reads every setting, refusing what the template (and the functions) would refuse. */
  private readSettings(props: SmsPasswordlessProps): void {
    const problems: string[] = [];
    for (const p of PARAMETERS) {
      const value = cfnValue(p, props[p.prop]);
      if (Token.isUnresolved(value)) {
        if (p.decides) problems.push(`${p.prop} decides which resources exist: give a value, not a token`);
      } else {
        const why = refusal(p, value);
        if (why) problems.push(`${p.prop}: ${why}`);
      }
      this.values.set(p.name, value);
    }
    if (problems.length > 0) throw new Error(`${this.node.path}: ${problems.join('; ')}`);
  }

  /** A setting's value (a token's string for a token). */
  private value(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw new Error(`template.yaml has no parameter ${name} (regenerate: cargo xtask cdk)`);
    return value;
  }

  /** A setting a condition reads: never a token (readSettings refused one). */
  private decided(name: string): string {
    const value = this.value(name);
    if (Token.isUnresolved(value)) throw new Error(`${this.node.path}: ${parameter(name).prop} must not be a token`);
    return value;
  }

  private refuseSettingsOfOtherModes(props: SmsPasswordlessProps): void {
    const given = (names: string[]): string[] =>
      names.map(parameter).filter((p) => props[p.prop] !== undefined).map((p) => p.prop);
    const existingOnly = this.mode === Mode.EXISTING ? [] : given(EXISTING_POOL_ONLY);
    if (existingOnly.length > 0) {
      throw new Error(`${this.node.path}: ${existingOnly.join(', ')} only apply with existingUserPoolId`);
    }
    const ownOnly = this.mode === Mode.NEW ? [] : given(OWN_POOL_ONLY);
    if (ownOnly.length > 0) {
      throw new Error(`${this.node.path}: ${ownOnly.join(', ')} only apply to a pool the construct creates; set it on your pool`);
    }
  }

  /** `name`, or `<stack name>-<id>`; refused where a resource name could not take it. */
  private namePrefix(id: string, name: string | undefined): string {
    const plain = /^[A-Za-z0-9_-]{1,64}$/;
    if (name !== undefined && !Token.isUnresolved(name) && !plain.test(name)) {
      throw new Error(`${this.node.path}: name ${JSON.stringify(name)}: 1 to 64 letters, digits, - and _`);
    }
    if (name === undefined && !plain.test(id)) {
      throw new Error(`${this.node.path}: the construct's id ${JSON.stringify(id)} cannot name resources; give a name`);
    }
    const prefix = name ?? `${Aws.STACK_NAME}-${id}`;
    // Two instances in one stack with the same names would clash at deploy; say so at synth.
    const stack = Stack.of(this);
    const twin = stack.node
      .findAll()
      .find((c): c is SmsPasswordless => c instanceof SmsPasswordless && c !== this && Stack.of(c) === stack && c.prefix === prefix);
    if (twin) throw new Error(`${this.node.path} and ${twin.node.path} have the same name ${prefix}; give one a name`);
    return prefix;
  }

  /** A variable's value for the functions; undefined: not set (template.yaml's AWS::NoValue). */
  private variable(
    variable: string,
    parameterName: string | undefined,
    table: dynamodb.Table | undefined,
    client: cognito.CfnUserPoolClient | undefined,
    attachesPreSignUp: boolean,
  ): string | undefined {
    if (parameterName !== undefined) return this.value(parameterName);
    switch (variable) {
      case 'SEND_LIMIT_TABLE':
        return table ? table.tableName : '';
      // The stack's own client in an existing pool, whose other clients the triggers leave alone;
      // not with a pool of the stack or the app (it would be a loop: pool, functions, client, pool).
      case 'APP_CLIENT_ID':
        return this.mode === Mode.EXISTING && client ? client.ref : undefined;
      // The pool's own sign-up proved its users' numbers; never with this stack's pre-sign-up.
      case 'TRUST_POOL_VERIFIED_NUMBERS':
        return this.mode === Mode.EXISTING && !attachesPreSignUp ? 'true' : undefined;
      default:
        throw new Error(`the construct does not know how to set ${variable}, which the template sets itself`);
    }
  }

  /** A function of the template, with its log group, from its bootstrap. */
  private function(
    spec: FunctionSpec,
    architecture: Architecture,
    code: Map<string, string>,
    timeout: Duration,
    environment: Record<string, string> | undefined,
  ): lambda.Function {
    const dir = code.get(spec.binary);
    if (!dir) throw new Error(`no bootstrap for ${spec.binary}`);
    const logGroupId = spec.logicalId.replace(/Function$/, 'LogGroup');
    const logGroup = new logs.CfnLogGroup(this, logGroupId, {
      logGroupName: `/aws/lambda/${this.prefix}/${spec.binary}`,
      retentionInDays: this.number('LogRetentionInDays'),
    });
    policies(logGroup, CfnDeletionPolicy.DELETE, CfnDeletionPolicy.DELETE);
    const f = new lambda.Function(this, spec.logicalId, {
      description: spec.description,
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      code: lambda.Code.fromAsset(dir),
      architecture: architecture === Architecture.ARM64 ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: 128,
      timeout,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: this.member('LogLevel', lambda.ApplicationLogLevel),
      logGroup: logs.LogGroup.fromLogGroupName(this, `${logGroupId}Ref`, logGroup.ref),
      environment,
    });
    const role = f.role?.node.defaultChild;
    if (role instanceof CfnResource) {
      suppress(role, [
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason:
            "AWSLambdaBasicExecutionRole, as SAM gives every function: it allows writing the function's own logs only (CreateLogGroup, CreateLogStream, PutLogEvents).",
        },
      ]);
    }
    return f;
  }

  /** A setting for a property CloudFormation wants as a number (a token stays a token). */
  private number(name: string): number {
    const value = this.value(name);
    return Token.isUnresolved(value) ? Token.asNumber(value) : Number(value);
  }

  /** A setting of an enum's values (checked against the template's AllowedValues already). */
  private member<T extends string>(name: string, values: Record<string, T>): T {
    const value = this.decided(name);
    const found = Object.values(values).find((v) => v === value);
    if (found === undefined) throw new Error(`${this.node.path}: ${parameter(name).prop} ${value} is not one of ${Object.values(values).join(', ')}`);
    return found;
  }

  /** The app client: CUSTOM_AUTH and refresh only, no secret, no user-writable phone number. */
  private appClient(id: string, userPoolId: string): cognito.CfnUserPoolClient {
    return new cognito.CfnUserPoolClient(this, id, {
      userPoolId,
      clientName: `${this.prefix}-app`,
      generateSecret: false,
      explicitAuthFlows: ['ALLOW_CUSTOM_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      preventUserExistenceErrors: 'ENABLED',
      enableTokenRevocation: true,
      writeAttributes: WRITE_ATTRIBUTES,
      authSessionValidity: this.number('AuthSessionValidity'),
      accessTokenValidity: this.number('AccessTokenValidity'),
      idTokenValidity: this.number('IdTokenValidity'),
      refreshTokenValidity: this.number('RefreshTokenValidity'),
      tokenValidityUnits: { accessToken: 'minutes', idToken: 'minutes', refreshToken: 'days' },
    });
  }

  /**
   * The custom resource that writes the existing pool's trigger slots (crates/attach-triggers),
   * carrying every other setting, and puts them back on delete; exactly as template.yaml's.
   */
  private attachTriggers(
    spec: FunctionSpec,
    architecture: Architecture,
    code: Map<string, string>,
    poolId: string,
    poolArn: string,
    client: cognito.CfnUserPoolClient,
    attachesPreSignUp: boolean,
  ): void {
    const f = this.function(spec, architecture, code, Duration.seconds(30), undefined);
    // The one pool, and nothing else of Cognito.
    f.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadAndWriteThePoolsSettings',
        actions: ['cognito-idp:DescribeUserPool', 'cognito-idp:UpdateUserPool'],
        resources: [poolArn],
      }),
    );
    // Pre-sign-up is attached only where no app client signs in with a password.
    if (attachesPreSignUp) {
      f.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'ReadThePoolsAppClients',
          actions: ['cognito-idp:ListUserPoolClients', 'cognito-idp:DescribeUserPoolClient'],
          resources: [poolArn],
        }),
      );
    }
    // Writing the pool passes its own SMS role back to Cognito, and only to Cognito.
    const smsRole = this.decided('ExistingPoolSmsRoleArn');
    if (smsRole !== '') {
      f.addToRolePolicy(
        new iam.PolicyStatement({
          sid: 'PassThePoolsSmsRoleBackToCognito',
          actions: ['iam:PassRole'],
          resources: [smsRole],
          conditions: { StringEquals: { 'iam:PassedToService': 'cognito-idp.amazonaws.com' } },
        }),
      );
    }
    // Whether this stack has a pool of its own (a switch of mode would delete it).
    f.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadThisStacksOwnPool',
        actions: ['cloudformation:DescribeStackResource'],
        resources: [Aws.STACK_ID],
      }),
    );
    const slots: Record<string, string> = {};
    for (const t of FUNCTIONS.filter((s) => s.poolSlot !== undefined)) {
      const arn = this.functionOf(t.binary).functionArn;
      slots[t.poolSlot ?? ''] = t.binary === 'pre-sign-up' && !attachesPreSignUp ? '' : arn;
    }
    const resource = new CustomResource(this, 'AttachTriggers', {
      resourceType: 'Custom::AttachTriggers',
      serviceToken: f.functionArn,
      // A function that fails to answer fails the deploy in a minute, not an hour.
      serviceTimeout: Duration.seconds(60),
      properties: {
        UserPoolId: poolId,
        ClientId: client.ref,
        Triggers: slots,
        ReplaceTriggers: this.value('ExistingPoolReplaceTriggers'),
        SmsRoleArn: smsRole,
        Revision: this.value('ExistingPoolRevision'),
        // A stack that has this construct's own pool must not switch to an existing one: that
        // would delete the pool and its users. The custom resource refuses when the stack has the
        // resource named here; a CDK logical id is not template.yaml's UserPool.
        OwnPool: this.ownPoolLogicalId(),
      },
    });
    // Once the functions may be invoked by the pool.
    for (const t of FUNCTIONS.filter((s) => s.poolSlot !== undefined)) {
      const permission = this.node.tryFindChild(t.logicalId.replace(/Function$/, 'InvokePermission'));
      if (permission) resource.node.addDependency(permission);
    }
  }

  /** The logical id this construct's pool has when it makes one (the new-pool mode). */
  private ownPoolLogicalId(): string {
    // The stack allocates logical ids (an app may override how); ask it for a stand-in, then drop it.
    const standIn = new CfnResource(this, 'UserPool', { type: 'AWS::Cognito::UserPool' });
    const logicalId = Stack.of(this).getLogicalId(standIn);
    this.node.tryRemoveChild('UserPool');
    return logicalId;
  }

  /** A trigger's function, by its binary. */
  private functionOf(binary: string): lambda.Function {
    const f = this.functions.get(binary);
    if (!f) throw new Error(`no function ${binary}`);
    return f;
  }

  /**
   * The alarms as template.yaml has them, each off when its threshold is 0, and the topic they
   * notify (with alarmEmail), returned.
   */
  private alarms(poolId: string): sns.ITopic | undefined {
    let actions: string[] | undefined;
    let alarmTopic: sns.ITopic | undefined;
    if (this.decided('AlarmEmail') !== '') {
      // CloudWatch cannot publish to a topic under the AWS managed SNS key: the topic gets a key of
      // its own whose policy lets CloudWatch use it, for this account's alarms only.
      const key = new kms.CfnKey(this, 'AlarmTopicKey', {
        description: `Encrypts the ${this.prefix} sign-in alarm topic; CloudWatch alarms may use it`,
        enableKeyRotation: true,
        keyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AccountAdministersTheKey',
              Effect: 'Allow',
              Principal: { AWS: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root` },
              Action: 'kms:*',
              Resource: '*',
            },
            {
              Sid: 'CloudWatchAlarmsPublishToTheTopic',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
            },
          ],
        },
      });
      policies(key, CfnDeletionPolicy.DELETE, CfnDeletionPolicy.DELETE);
      new kms.CfnAlias(this, 'AlarmTopicKeyAlias', { aliasName: `alias/${this.prefix}-alarms`, targetKeyId: key.ref });
      const topic = new sns.CfnTopic(this, 'AlarmTopic', {
        displayName: `${this.prefix} sign-in alarms`,
        kmsMasterKeyId: key.attrArn,
        subscription: [{ protocol: 'email', endpoint: this.value('AlarmEmail') }],
      });
      suppress(topic, [
        {
          id: 'AwsSolutions-SNS3',
          reason:
            "Only CloudWatch alarms of this account publish to it (its default access policy and its key's); it carries alarm states, no sign-in data.",
        },
      ]);
      alarmTopic = sns.Topic.fromTopicArn(this, 'AlarmTopicRef', topic.ref);
      actions = [topic.ref];
    }
    const dimensions = [{ name: 'UserPoolId', value: poolId }];
    const namespace = this.value('MetricsNamespace');
    const metricStat = (metricName: string, period: number, ns = namespace, dims = dimensions): cloudwatch.CfnAlarm.MetricStatProperty => ({
      metric: { namespace: ns, metricName, dimensions: dims },
      period,
      stat: 'Sum',
    });
    const alarm = (id: string, threshold: string, props: Partial<cloudwatch.CfnAlarmProps>): void => {
      if (this.decided(threshold) === '0') return;
      new cloudwatch.CfnAlarm(this, id, {
        evaluationPeriods: 1,
        threshold: this.number(threshold),
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        alarmActions: actions,
        okActions: actions,
        ...props,
      });
    };
    const v = (name: string): string => this.value(name);

    alarm('SmsSpendAlarm', 'SmsMonthlySpendAlarmUsd', {
      alarmDescription: `The account's SMS spend this month reached ${v('SmsMonthlySpendAlarmUsd')} USD (all SMS sent from this region, not only sign-in codes).`,
      namespace: 'AWS/SNS',
      metricName: 'SMSMonthToDateSpentUSD',
      statistic: 'Maximum',
      period: 300,
    });
    alarm('SmsFailureRateAlarm', 'SmsFailureRateAlarmPercent', {
      alarmDescription: `${v('SmsFailureRateAlarmPercent')}% or more of the sign-in SMS failed in 15 minutes (SNS refused, throttled or did not answer); see create-auth-challenge's log.`,
      metrics: [
        { id: 'rate', label: 'SMS failure rate (%)', expression: 'IF(failed + sent >= 5, 100 * failed / (failed + sent), 0)' },
        { id: 'failed', returnData: false, expression: 'FILL(failedRaw, 0)' },
        { id: 'sent', returnData: false, expression: 'FILL(sentRaw, 0)' },
        { id: 'failedRaw', returnData: false, metricStat: metricStat('SmsFailed', 900) },
        { id: 'sentRaw', returnData: false, metricStat: metricStat('SmsSent', 900) },
      ],
    });
    const errors = (id: string, f: lambda.IFunction): cloudwatch.CfnAlarm.MetricDataQueryProperty => ({
      id,
      returnData: false,
      metricStat: metricStat('Errors', 300, 'AWS/Lambda', [{ name: 'FunctionName', value: f.functionName }]),
    });
    alarm('TriggerErrorsAlarm', 'TriggerErrorsAlarmThreshold', {
      alarmDescription: `The sign-in triggers reported ${v('TriggerErrorsAlarmThreshold')} or more errors in 5 minutes; see the functions' logs (errorType names the cause).`,
      metrics: [
        {
          id: 'errors',
          label: 'Trigger errors',
          expression: 'FILL(preSignUp, 0) + FILL(define, 0) + FILL(create, 0) + FILL(verify, 0)',
        },
        errors('preSignUp', this.preSignUpFunction),
        errors('define', this.defineAuthChallengeFunction),
        errors('create', this.createAuthChallengeFunction),
        errors('verify', this.verifyAuthChallengeFunction),
      ],
    });
    const count = (metricName: string, period = 300): Partial<cloudwatch.CfnAlarmProps> => ({
      namespace,
      metricName,
      dimensions,
      statistic: 'Sum',
      period,
    });
    alarm('LockoutsAlarm', 'LockoutsAlarmThreshold', {
      alarmDescription: `${v('LockoutsAlarmThreshold')} or more sign-ins were locked out in 5 minutes (too many wrong answers or resends): someone may be guessing codes.`,
      ...count('SignInLockedOut'),
    });
    const sendLimit = this.table !== undefined;
    if (sendLimit) {
      alarm('NumberLocksAlarm', 'NumberLocksAlarmThreshold', {
        alarmDescription: `${v('NumberLocksAlarmThreshold')} or more phone numbers were locked in 5 minutes after ${v('MaxFailedAnswersPerNumber')} wrong answers in a row: someone may be guessing codes (or locking numbers on purpose). See verify-auth-challenge's log (numbers are masked).`,
        ...count('NumberLocked'),
      });
    }
    alarm('WrongAnswersAlarm', 'WrongAnswersPerHourAlarmThreshold', {
      alarmDescription: `${v('WrongAnswersPerHourAlarmThreshold')} or more wrong answers in one hour: a guessing spray across many numbers, which no per-number lock catches.`,
      ...count('AnswerWrong', 3600),
    });
    if (sendLimit) {
      alarm('PrefixPausesAlarm', 'PrefixPausesAlarmThreshold', {
        alarmDescription:
          'The SMS pumping breaker paused sends to never-signed-in numbers of a destination prefix or a region: many codes, few answered. See create-auth-challenge\'s log for the area; lift a pause by deleting its record (docs/pumping-and-cost.md).',
        metrics: [
          // FILL: a period with a pause of one kind only has no data point of the other.
          { id: 'pauses', expression: 'FILL(prefixes, 0) + FILL(regions, 0)', label: 'Areas paused', returnData: true },
          { id: 'prefixes', returnData: false, metricStat: metricStat('PrefixPaused', 300) },
          { id: 'regions', returnData: false, metricStat: metricStat('RegionPaused', 300) },
        ],
      });
      alarm('PoolCeilingAlarm', 'PoolCeilingAlarmThreshold', {
        alarmDescription:
          "Sends were withheld because the pool's SMS ceiling for the hour is reached (PoolSmsPerHour, PoolSmsPerHourNewNumbers): SMS pumping spread wide, or traffic above the ceiling's sizing. See the pumping docs for what to do.",
        ...count('PoolCeilingReached'),
      });
    }
    return alarmTopic;
  }

  /**
   * Rate-based rules per client IP on the calls a bot makes to sign numbers up and make codes go
   * out (Cognito passes the operation in X-Amz-Target, matched in lower case); associated with a
   * new pool only.
   */
  private webAclFor(pool: cognito.CfnUserPool | undefined): wafv2.CfnWebACL {
    const operation = (name: string): wafv2.CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'x-amz-target' } },
        positionalConstraint: 'EXACTLY',
        searchString: `awscognitoidentityproviderservice.${name}`,
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    });
    const acl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `${this.prefix}-sign-in`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { sampledRequestsEnabled: true, cloudWatchMetricsEnabled: true, metricName: `${this.prefix}-sign-in` },
      rules: [
        {
          name: 'sign-up-and-sign-in-per-ip',
          priority: 0,
          action: { block: {} },
          visibilityConfig: {
            sampledRequestsEnabled: true,
            cloudWatchMetricsEnabled: true,
            metricName: `${this.prefix}-sign-in-per-ip`,
          },
          statement: {
            rateBasedStatement: {
              limit: this.number('WafRateLimitPer5Minutes'),
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
              scopeDownStatement: {
                orStatement: {
                  statements: [operation('signup'), operation('initiateauth'), operation('respondtoauthchallenge')],
                },
              },
            },
          },
        },
      ],
    });
    if (pool) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', { resourceArn: pool.attrArn, webAclArn: acl.attrArn });
    }
    return acl;
  }
}

/** Sets a resource's DeletionPolicy and UpdateReplacePolicy as template.yaml does. */
function policies(resource: CfnResource, deletion: CfnDeletionPolicy, updateReplace: CfnDeletionPolicy): void {
  resource.cfnOptions.deletionPolicy = deletion;
  resource.cfnOptions.updateReplacePolicy = updateReplace;
}

/**
 * Acknowledges findings that do not apply (cdk-nag's AwsSolutions ids, `Rule[finding]` for one
 * finding of a rule), on the resource, with the reason, through CDK's own Validations: an app
 * that runs cdk-nag sees each reason in its report, and this package needs no cdk-nag.
 */
function suppress(scope: Construct, rules: Suppressions): void {
  const resource = scope instanceof CfnResource ? scope : scope.node.defaultChild;
  if (!(resource instanceof CfnResource)) throw new Error(`${scope.node.path}: no resource to acknowledge findings on`);
  for (const rule of rules) {
    if (rule.id.split('::').length <= 2) {
      Validations.of(resource).acknowledge(rule);
    } else {
      // acknowledge() takes one `::` at most (it separates a prefix), and a finding on a managed
      // policy's ARN has more: record it as acknowledge() records its own, in the same metadata.
      const key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
      const last = resource.node.metadata.filter((m) => m.type === key).pop()?.data as Record<string, string> | undefined;
      resource.node.addMetadata(key, { ...last, [rule.id]: rule.reason });
    }
  }
}

/**
 * What makes the app's own pool unsafe for a pre-sign-up that confirms sign-ups by their number
 * alone (the same rules the custom resource applies to an existing pool).
 */
function appPoolProblems(pool: cognito.UserPool | undefined, construct: SmsPasswordless): string[] {
  if (!pool) return [];
  const stack = Stack.of(pool);
  const cfnPool = pool.node.defaultChild;
  const problems: string[] = [];
  if (cfnPool instanceof cognito.CfnUserPool) {
    const aliases: unknown = stack.resolve(cfnPool.aliasAttributes);
    if (Array.isArray(aliases) && aliases.includes('phone_number')) {
      problems.push(
        `${pool.node.path} has phone_number as an alias, and Cognito moves an alias to the newest user who verifies it: a sign-up would take an existing user's number (use signInAliases: { phone: true } alone, which makes the number the user name)`,
      );
    }
  }
  const poolId = JSON.stringify(stack.resolve(pool.userPoolId));
  const own = construct.userPoolClient.node.scope;
  for (const client of stack.node.findAll()) {
    if (!(client instanceof cognito.CfnUserPoolClient) || client.node.scope === own) continue;
    if (JSON.stringify(stack.resolve(client.userPoolId)) !== poolId) continue;
    const flows: unknown = stack.resolve(client.explicitAuthFlows);
    const list = Array.isArray(flows) ? flows.map(String) : [];
    if (list.length === 0 || list.some((f) => PASSWORD_FLOWS.includes(f) || f === 'ALLOW_USER_AUTH')) {
      problems.push(
        `the app client ${client.node.path} of ${pool.node.path} may sign in with a password (${list.length === 0 ? "no authFlows: Cognito's default" : list.join(', ')}): a password chosen at a sign-up the pre-sign-up trigger confirms without proof of the number would work there`,
      );
    }
  }
  return problems;
}
