import { execFile } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual, promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { budgetGuardEnvironment } from '../../functions/budget-guard/aws.js';
import { awsDeps as dqRouterDeps } from '../../functions/dq-router/aws.js';
import { schemaDriftEnvironment } from '../../functions/schema-drift/aws.js';
import { awsDeps as slackActionsDeps, slackActionsEnvironment } from '../../functions/slack-actions/aws.js';
import { STREAM_MAPPING } from '../../local/stream/local-stream.js';
import { BUNDLE_LIMIT_BYTES } from '../../scripts/bundle-functions.mjs';
import { CONTROL_TABLE_SCHEMA } from '../../shared/aws/dynamo-control.js';
import { LEDGER_TABLE_SCHEMA } from '../../shared/aws/dynamo-ledger.js';
import { SLACK_REQUEST_PREFIX } from '../../shared/aws/dynamo-replay-guard.js';
import { SCHEDULER_TABLE_SCHEMA } from '../../shared/aws/dynamo-scheduler.js';
import { lambdaEnvironment, streamEnvironment } from '../../shared/config.js';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import {
  GLUE_DATABASE_STATE_CHANGE,
  GLUE_TABLE_STATE_CHANGE,
  TABLE_DEFINITION_CHANGES,
} from '../../shared/core/events-glue.js';
import { dependencyCycles } from './graph.js';
import {
  actionsOf,
  allowedActions,
  grantsOf,
  iamViolations,
  resourcesOf,
  STAR_FOR_STATE_MACHINES,
  starAllowedIn,
} from './iam.js';
import { packageStage } from './package-stage.js';
import type { CfnResource, Json, Template } from './template.js';
import { readZip, type ZipEntry } from './zip.js';

const ROOT = resolve(import.meta.dirname, '../..');
const STAGE = 'prod';
const FUNCTIONS = [
  'budget-guard',
  'object-landed',
  'load-events',
  'load-scheduler',
  'reconciler',
  'stream-upsert',
  'dq-router',
  'schema-drift',
  'slack-actions',
];
/** The functions EventBridge rules invoke asynchronously. */
const EVENTBRIDGE_FUNCTIONS = ['object-landed', 'load-events', 'schema-drift'];
/** params.prod.streamRetentionHours in serverless.yml. */
const STREAM_RETENTION_HOURS = 168;
/** params.default.bronzeDatabase in serverless.yml, for the stage under test. */
const BRONZE_DATABASE = `lakeplane_${STAGE}_bronze`;
/** params.prod.bronzeCrawlerSchedule in serverless.yml. */
const BRONZE_CRAWLER_SCHEDULE = 'cron(15 0/3 * * ? *)';
/** The dataset contracts the stack is packaged with (read by the application's own loader). */
const CONTRACTS = [...loadContractsDir(resolve(import.meta.dirname, '../../datasets')).datasets.values()];

type Resource = CfnResource;
let dir: string;
let template: Template;
let zips: Map<string, Map<string, ZipEntry>>;

const ofType = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const refId = (v: Json): string => v?.Ref ?? v?.['Fn::GetAtt']?.[0];
const lambdaByHandler = (name: string): [string, Resource] => {
  const hit = ofType('AWS::Lambda::Function').find(
    ([, r]) => r.Properties.Handler === `functions/${name}/index.handler`,
  );
  if (!hit) throw new Error(`no Lambda function with handler functions/${name}/index.handler`);
  return hit;
};
const env = (name: string): Record<string, Json> => lambdaByHandler(name)[1].Properties.Environment.Variables;
const roleOf = (name: string): string => refId(lambdaByHandler(name)[1].Properties.Role);
const trustedService = (roleId: string): string[] =>
  (template.Resources[roleId]?.Properties.AssumeRolePolicyDocument.Statement ?? []).flatMap((s: Json) =>
    [s.Principal?.Service].flat(),
  );
const ruleFor = (source: string): Resource => {
  const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
    r.Properties.EventPattern?.source?.includes(source),
  );
  expect(rules, `EventBridge rules with source ${source}`).toHaveLength(1);
  return rules[0]![1];
};
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
/** A grant on the lake's customer managed key, usable only through S3 (serverless.yml LakeKey). */
/** The OpenLineage consumer's API key parameters of the stage: load-events, the reconciler and schema-drift read them. */
const OPENLINEAGE_KEY = {
  'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/lakeplane/${STAGE}/openlineage-*`,
};
const LAKE_KEY_VIA_S3 = {
  resource: getAtt('LakeKey'),
  condition: { StringEquals: { 'kms:ViaService': { 'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com` } } },
};
/** The one Kinesis stream of the stack. */
const kinesisStream = (): [string, Resource] => {
  const streams = ofType('AWS::Kinesis::Stream');
  expect(streams, 'Kinesis streams').toHaveLength(1);
  return streams[0]!;
};
/** The one event source mapping that invokes a function. */
const mappingOf = (name: string): [string, Resource] => {
  const [fn] = lambdaByHandler(name);
  const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
    ([, r]) => refId(r.Properties.FunctionName) === fn,
  );
  expect(mappings, `event source mappings of ${name}`).toHaveLength(1);
  return mappings[0]!;
};
/** The one Glue database of the stack: the Bronze tables. */
const bronzeDatabase = (): [string, Resource] => {
  const databases = ofType('AWS::Glue::Database');
  expect(databases.map(([id]) => id).sort(), 'Glue databases').toEqual([
    'BronzeDatabase',
    'GoldGlueDatabase',
    'SilverGlueDatabase',
  ]);
  return databases.find(([id]) => id === 'BronzeDatabase')!;
};
/** The Glue crawlers of the stack (scripts/crawlers.cjs: one per dataset contract). */
const crawlers = (): [string, Resource][] => ofType('AWS::Glue::Crawler');
/** The Glue ARN `arn:…:glue:<region>:<account>:<suffix>` as the roles write it. */
const glueArn = (suffix: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:glue:\${AWS::Region}:\${AWS::AccountId}:${suffix}`,
});
const sortBy = <T>(items: readonly T[] | undefined, key: (t: T) => string): T[] =>
  [...(items ?? [])].sort((a, b) => key(a).localeCompare(key(b)));
/** A function's environment as Lambda would see it: intrinsics (Ref, GetAtt) stand for names. */
const asDeployed = (e: Record<string, Json>): Record<string, string> =>
  Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'string' ? v : `resolved-${k}`]));
const zipOf = (name: string): Map<string, ZipEntry> => {
  const key = lambdaByHandler(name)[1].Properties.Code.S3Key;
  const zip = zips.get(basename(key));
  if (!zip) throw new Error(`no zip ${basename(key)} for ${name} among ${[...zips.keys()].join(', ')}`);
  return zip;
};
/** The state machine definition the stack deploys (compared with the template below). */
const ASL_FILE = join(ROOT, 'statemachines/load-dataset.asl.json');
const aslStates = (): Record<string, Json> => JSON.parse(readFileSync(ASL_FILE, 'utf8')).States;
/** The identity policy statements of one role (inline policies). */
const statementsOf = (roleId: string): Json[] =>
  template.Resources[roleId]!.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lakeplane-package-'));
  template = await packageStage(STAGE, dir);
  zips = new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.zip'))
      .map((f) => [f, readZip(join(dir, f))]),
  );
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('functions', () => {
  it.each(FUNCTIONS)('%s runs on nodejs22.x arm64 with its own role', (name) => {
    const [, fn] = lambdaByHandler(name);
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
    const role = roleOf(name);
    expect(template.Resources[role]?.Type).toBe('AWS::IAM::Role');
    expect(trustedService(role)).toEqual(['lambda.amazonaws.com']);
  });

  it('have distinct roles, and no shared default role', () => {
    expect(new Set(FUNCTIONS.map(roleOf)).size).toBe(FUNCTIONS.length);
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
  });

  it.each(['object-landed', 'load-events'])('%s gets every variable shared/config.ts requires', (name) => {
    const required = Object.entries(lambdaEnvironment.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(Object.keys(env(name))).toEqual(expect.arrayContaining([...required, 'POWERTOOLS_SERVICE_NAME']));
    expect(env(name).POWERTOOLS_SERVICE_NAME).toBe(name);
    expect(env(name).STAGE).toBe(STAGE);
  });

  it('stream-upsert gets every variable streamEnvironment requires, and the key delimiter', () => {
    const e = env('stream-upsert');
    const required = Object.entries(streamEnvironment.shape)
      .filter(([, schema]) => !schema.safeParse(undefined).success)
      .map(([key]) => key);
    expect(required).toEqual(expect.arrayContaining(['BRONZE_BUCKET', 'QUARANTINE_BUCKET']));
    expect(Object.keys(e)).toEqual(expect.arrayContaining([...required, 'POWERTOOLS_SERVICE_NAME']));
    expect(e.POWERTOOLS_SERVICE_NAME).toBe('stream-upsert');
    // The buckets are the stack's Bronze and quarantine buckets (checked under "buckets").
    expect(e.BRONZE_BUCKET).toEqual(env('object-landed').BRONZE_BUCKET);
    expect(e.QUARANTINE_BUCKET).toEqual(env('object-landed').QUARANTINE_BUCKET);
    for (const v of ['BRONZE_BUCKET', 'QUARANTINE_BUCKET'])
      expect(template.Resources[refId(e[v])]?.Type, v).toBe('AWS::S3::Bucket');
    // Partition keys are `<dataset>/<record key>` (LOCAL_ROUTING of the local runtime).
    expect(e.STREAM_PARTITION_KEY_DELIMITER).toBe('/');
    // What is set parses (e.g. STREAM_MAX_RECORD_BYTES is a positive integer), intrinsics as names.
    const parsed = streamEnvironment.safeParse(asDeployed(e));
    expect(parsed.error?.issues ?? []).toEqual([]);
  });

  it('load-events knows the Slack webhook parameter', () => {
    expect(env('load-events').SLACK_WEBHOOK_PARAMETER).toBe(`/lakeplane/${STAGE}/slack-webhook-url`);
  });

  it('dq-router alerts through the webhook parameter of load-events', () => {
    expect(env('dq-router').SLACK_WEBHOOK_PARAMETER).toBe(`/lakeplane/${STAGE}/slack-webhook-url`);
    expect(env('dq-router').SLACK_WEBHOOK_PARAMETER).toBe(env('load-events').SLACK_WEBHOOK_PARAMETER);
  });

  it('dq-router starts on its deployed environment and the contracts of its package', () => {
    const e = env('dq-router');
    expect(e.POWERTOOLS_SERVICE_NAME).toBe('dq-router');
    expect(e.STAGE).toBe(STAGE);
    // functions/dq-router/aws.ts itself decides what it needs: it throws ConfigurationError on
    // an incomplete environment. Run from source it reads the contracts the build compiles into
    // its bundle (datasets/ under the task root); the bundle itself starts below (function packages).
    const deps = dqRouterDeps({ ...asDeployed(e), LAMBDA_TASK_ROOT: ROOT });
    expect(deps.stage).toBe(STAGE);
    expect([...deps.contracts.datasets.keys()]).toContain('orders');
  });

  it('schema-drift starts on its deployed environment (schemaDriftEnvironment)', () => {
    const e = env('schema-drift');
    expect(e.POWERTOOLS_SERVICE_NAME).toBe('schema-drift');
    // What functions/schema-drift/aws.ts parses at cold start, intrinsics standing for names.
    const parsed = schemaDriftEnvironment.safeParse(asDeployed(e));
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data).toMatchObject({
      STAGE,
      BRONZE_DATABASE,
      EVENT_BUS_NAME: 'default',
      SLACK_WEBHOOK_PARAMETER: env('load-events').SLACK_WEBHOOK_PARAMETER,
    });
    // The database the crawlers write, the table object-landed reads the pause state from.
    expect(e.BRONZE_DATABASE).toBe(bronzeDatabase()[1].Properties.DatabaseInput.Name);
    expect(template.Resources[refId(e.CONTROL_TABLE)]?.Type).toBe('AWS::DynamoDB::Table');
    expect(e.CONTROL_TABLE).toEqual(env('object-landed').CONTROL_TABLE);
    // Tables are named after their datasets (no crawler TablePrefix), in this account's catalog.
    expect(e.BRONZE_TABLE_PREFIX).toBeUndefined();
    expect(e.GLUE_CATALOG_ID).toBeUndefined();
  });

  it('the reconciler has what schema-drift has, for the catalog changes it redrives', () => {
    const parsed = schemaDriftEnvironment.safeParse(asDeployed(env('reconciler')));
    expect(parsed.error?.issues ?? []).toEqual([]);
    const drift = schemaDriftEnvironment.parse(asDeployed(env('schema-drift')));
    // The same database, bus, control table and Slack parameter (the schema keeps only its keys).
    expect(parsed.data).toEqual(drift);
  });

  it('object-landed knows the control table (a paused dataset holds its loads)', () => {
    const e = env('object-landed');
    expect(lambdaEnvironment.shape.CONTROL_TABLE.safeParse(undefined).success, 'optional in config.ts').toBe(
      true,
    );
    expect(template.Resources[refId(e.CONTROL_TABLE)]?.Type).toBe('AWS::DynamoDB::Table');
    expect(refId(e.CONTROL_TABLE)).not.toBe(refId(e.LEDGER_TABLE));
  });

  it('dq-router is the function the state machine is told to invoke, and answers within the task', () => {
    const [, fn] = lambdaByHandler('dq-router');
    // object-landed plans each load: $.functions.dqRouter = DQ_ROUTER_FUNCTION (shared/core/plan.ts).
    expect(fn.Properties.FunctionName).toBe(`lakeplane-${STAGE}-dq-router`);
    for (const name of FUNCTIONS) expect(env(name).DQ_ROUTER_FUNCTION, name).toBe(fn.Properties.FunctionName);
    const gate = aslStates().QualityGate;
    expect(gate.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(gate.Parameters['FunctionName.$']).toBe('$.functions.dqRouter');
    expect(fn.Properties.Timeout).toBeLessThan(gate.HeartbeatSeconds);
    expect(fn.Properties.Timeout).toBeLessThan(gate.TimeoutSeconds);
    expect(fn.Properties.Timeout).toBeGreaterThanOrEqual(30);
  });

  it('dq-router is not retried by Lambda nor sends failures anywhere (Step Functions invokes it)', () => {
    const [id] = lambdaByHandler('dq-router');
    const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(
      ([, r]) => refId(r.Properties.FunctionName) === id,
    );
    expect(configs).toHaveLength(1);
    const props = configs[0]![1].Properties;
    expect(props.MaximumRetryAttempts).toBe(0);
    expect(props.DestinationConfig?.OnFailure).toBeUndefined();
    expect(ofType('AWS::Events::Rule').filter(([, r]) => JSON.stringify(r).includes(`"${id}"`))).toEqual([]);
    expect(allowedActions(template, roleOf('dq-router'))).not.toContain('sqs:SendMessage');
  });

  it.each(EVENTBRIDGE_FUNCTIONS)('%s retries async events and sends failures to SQS', (name) => {
    const [id] = lambdaByHandler(name);
    const configs = ofType('AWS::Lambda::EventInvokeConfig').filter(
      ([, r]) => refId(r.Properties.FunctionName) === id,
    );
    expect(configs).toHaveLength(1);
    const props = configs[0]![1].Properties;
    expect(props.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(props.MaximumEventAgeInSeconds).toBeGreaterThan(0);
    const queue = refId(props.DestinationConfig.OnFailure.Destination);
    expect(template.Resources[queue]?.Type).toBe('AWS::SQS::Queue');
    expect(allowedActions(template, roleOf(name))).toContain('sqs:SendMessage');
  });
});

describe('event wiring', () => {
  const expectTarget = (rule: Resource, fn: string) => {
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toHaveLength(1);
    const target = rule.Properties.Targets[0];
    expect(refId(target.Arn)).toBe(lambdaByHandler(fn)[0]);
    expect(template.Resources[refId(target.DeadLetterConfig?.Arn)]?.Type).toBe('AWS::SQS::Queue');
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
  };

  it('S3 Object Created in the Bronze bucket invokes object-landed', () => {
    const rule = ruleFor('aws.s3');
    const bronze = refId(env('object-landed').BRONZE_BUCKET);
    expect(rule.Properties.EventPattern).toEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: [{ Ref: bronze }] } },
    });
    expect(template.Resources[bronze]?.Properties.NotificationConfiguration).toEqual({
      EventBridgeConfiguration: { EventBridgeEnabled: true },
    });
    expectTarget(rule, 'object-landed');
  });

  it('load-dataset and rollback-dataset execution status changes invoke load-events', () => {
    const rule = ruleFor('aws.states');
    const pattern = rule.Properties.EventPattern;
    expect(pattern['detail-type']).toEqual(['Step Functions Execution Status Change']);
    const e = env('load-events');
    expect(pattern.detail.stateMachineArn).toEqual([
      { Ref: refId(e.STATE_MACHINE_ARN) },
      { Ref: refId(e.ROLLBACK_STATE_MACHINE_ARN) },
    ]);
    expect(refId(e.ROLLBACK_STATE_MACHINE_ARN)).toBe('RollbackDatasetStateMachine');
    expect(pattern.detail.status).toEqual(
      expect.arrayContaining(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
    );
    expectTarget(rule, 'load-events');
  });

  it('Glue Data Catalog table changes of the Bronze database invoke schema-drift', () => {
    const rule = ruleFor('aws.glue');
    expect(rule.Properties.Name).toBe(`lakeplane-${STAGE}-schema-drift`);
    const pattern = rule.Properties.EventPattern;
    expect(Object.keys(pattern).sort()).toEqual(['detail', 'detail-type', 'source']);
    expect(pattern.source).toEqual(['aws.glue']);
    expect(pattern['detail-type']).toEqual([GLUE_TABLE_STATE_CHANGE, GLUE_DATABASE_STATE_CHANGE]);
    expect(Object.keys(pattern.detail).sort()).toEqual(['databaseName', 'typeOfChange']);
    expect(pattern.detail.databaseName).toEqual([bronzeDatabase()[1].Properties.DatabaseInput.Name]);
    expect(pattern.detail.databaseName).toEqual([env('schema-drift').BRONZE_DATABASE]);
    // Exactly the operations shared/usecases/schema-drift.ts acts on (the rest it would ignore).
    expect([...pattern.detail.typeOfChange].sort()).toEqual([...TABLE_DEFINITION_CHANGES].sort());
    expect(pattern.detail.typeOfChange).toEqual([
      'UpdateTable',
      'CreateTable',
      'DeleteTable',
      'BatchDeleteTable',
    ]);
    expectTarget(rule, 'schema-drift');
  });

  it('EventBridge may write to each target DLQ, only from its own rule', () => {
    const policies = ofType('AWS::SQS::QueuePolicy').flatMap(
      ([, r]) => r.Properties.PolicyDocument.Statement,
    );
    for (const rule of [ruleFor('aws.s3'), ruleFor('aws.states'), ruleFor('aws.glue')]) {
      const dlq = refId(rule.Properties.Targets[0].DeadLetterConfig.Arn);
      const grant = policies.find((s: Json) => refId(s.Resource) === dlq);
      expect(grant, `queue policy for ${dlq}`).toBeDefined();
      expect(grant.Principal).toEqual({ Service: 'events.amazonaws.com' });
      expect(actionsOf(grant)).toEqual(['sqs:SendMessage']);
      expect(JSON.stringify(grant.Condition.ArnEquals['aws:SourceArn'])).toContain(
        `rule/${rule.Properties.Name}`,
      );
    }
  });
});

describe('load-dataset state machine', () => {
  const machine = (): [string, Resource] => {
    const machines = ofType('AWS::StepFunctions::StateMachine');
    expect(machines.map(([id]) => id).sort()).toEqual([
      'LoadDatasetStateMachine',
      'QueryDatasetStateMachine',
      'RollbackDatasetStateMachine',
    ]);
    return machines.find(([id]) => id === 'LoadDatasetStateMachine')!;
  };

  it('deploys statemachines/load-dataset.asl.json as it is', () => {
    // osls deletes every null property of every resource (stripNullPropsFromTemplateResources),
    // so an object `Definition` silently loses `"ResultPath": null`: compare strictly.
    const file = JSON.parse(readFileSync(join(ROOT, 'statemachines/load-dataset.asl.json'), 'utf8'));
    const p = machine()[1].Properties;
    expect(
      p.Definition === undefined || p.DefinitionString === undefined,
      'Definition or DefinitionString, not both',
    ).toBe(true);
    const deployed = typeof p.DefinitionString === 'string' ? JSON.parse(p.DefinitionString) : p.Definition;
    expect(deployed).toEqual(file);
    // And the text itself, byte for byte (statemachines/definitions.cjs).
    expect(p.DefinitionString).toBe(readFileSync(ASL_FILE, 'utf8'));
  });

  it('is the machine the functions point at, and logs to CloudWatch', () => {
    const [id, sm] = machine();
    expect(refId(env('object-landed').STATE_MACHINE_ARN)).toBe(id);
    expect(refId(env('load-events').STATE_MACHINE_ARN)).toBe(id);
    expect(refId(env('dq-router').STATE_MACHINE_ARN)).toBe(id);
    const logGroup = refId(
      sm.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn,
    );
    expect(template.Resources[logGroup]?.Type).toBe('AWS::Logs::LogGroup');
  });

  it('may only run steps on the stage cluster and manage the .sync EMR rule', () => {
    const role = refId(machine()[1].Properties.RoleArn);
    expect(trustedService(role)).toEqual(['states.amazonaws.com']);
    const statements = template.Resources[role]!.Properties.Policies.flatMap(
      (p: Json) => p.PolicyDocument.Statement,
    );
    const emr = statements.filter((s: Json) => actionsOf(s).some((a) => a.startsWith('elasticmapreduce:')));
    expect(emr).toHaveLength(1);
    expect(new Set(actionsOf(emr[0]))).toEqual(
      new Set([
        'elasticmapreduce:AddJobFlowSteps',
        'elasticmapreduce:DescribeStep',
        'elasticmapreduce:CancelSteps',
      ]),
    );
    const cluster = env('object-landed').EMR_CLUSTER_ID;
    expect(cluster).toMatch(/^j-[A-Z0-9]+$/);
    expect(resourcesOf(emr[0])).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:elasticmapreduce:\${AWS::Region}:\${AWS::AccountId}:cluster/${cluster}`,
      },
    ]);
    const events = statements.filter((s: Json) => actionsOf(s).some((a) => a.startsWith('events:')));
    expect(events).toHaveLength(1);
    expect(new Set(actionsOf(events[0]))).toEqual(
      new Set(['events:PutTargets', 'events:PutRule', 'events:DescribeRule']),
    );
    expect(JSON.stringify(resourcesOf(events[0]))).toMatch(
      /:rule\/StepFunctionsGetEventForEMRAddJobFlowStepsRule"/,
    );
  });

  it('may invoke exactly budget-guard and dq-router, unqualified, the functions its definition invokes', () => {
    const role = refId(machine()[1].Properties.RoleArn);
    // Every Lambda task of the definition invokes a function the planner names.
    const lambdaTasks = Object.entries(aslStates()).filter(([, st]) =>
      String(st.Resource ?? '').startsWith('arn:aws:states:::lambda:'),
    );
    expect(lambdaTasks.map(([name, st]) => [name, st.Parameters['FunctionName.$']])).toEqual([
      ['CheckBudget', '$.functions.budgetGuard'],
      ['QualityGate', '$.functions.dqRouter'],
    ]);
    const invoke = statementsOf(role).filter((s: Json) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(invoke).toHaveLength(2);
    // The function ARNs only: the names are unqualified, so no `:*` for versions and aliases. Built
    // from the names rather than !GetAtt (the functions refer to the machine: a cycle).
    expect(invoke.map((st: Json) => [actionsOf(st), st.Condition, resourcesOf(st)])).toEqual(
      ['dq-router', 'budget-guard'].map((fn) => [
        ['lambda:InvokeFunction'],
        undefined,
        [
          {
            'Fn::Sub': `arn:\${AWS::Partition}:lambda:\${AWS::Region}:\${AWS::AccountId}:function:${lambdaByHandler(fn)[1].Properties.FunctionName}`,
          },
        ],
      ]),
    );
    // And the names the functions are told are the deployed ones.
    expect(env('object-landed').BUDGET_GUARD_FUNCTION).toBe(
      lambdaByHandler('budget-guard')[1].Properties.FunctionName,
    );
    expect(allowedActions(template, role)).toEqual(
      new Set([
        'elasticmapreduce:AddJobFlowSteps',
        'elasticmapreduce:DescribeStep',
        'elasticmapreduce:CancelSteps',
        'events:PutTargets',
        'events:PutRule',
        'events:DescribeRule',
        'lambda:InvokeFunction',
        ...STAR_FOR_STATE_MACHINES,
      ]),
    );
  });
});

describe.each([
  ['rollback-dataset', 'RollbackDatasetStateMachine'],
  ['query-dataset', 'QueryDatasetStateMachine'],
])('%s state machine', (file, logicalId) => {
  const machine = (): [string, Resource] => {
    const found = ofType('AWS::StepFunctions::StateMachine').find(([n]) => n === logicalId);
    expect(found).toBeDefined();
    return found!;
  };

  it('deploys its statemachines/*.asl.json byte for byte, logging to CloudWatch', () => {
    const [id, sm] = machine();
    expect(sm.Properties.DefinitionString).toBe(
      readFileSync(join(ROOT, `statemachines/${file}.asl.json`), 'utf8'),
    );
    const logGroup = refId(
      sm.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn,
    );
    expect(template.Resources[logGroup]?.Type).toBe('AWS::Logs::LogGroup');
    expect(refId(template.Outputs[`${logicalId}Arn`].Value)).toBe(id);
  });

  it('has its own role: EMR steps on the stage cluster and the .sync rule, nothing else', () => {
    const [, sm] = machine();
    const role = refId(sm.Properties.RoleArn);
    expect(role).not.toBe(refId(template.Resources.LoadDatasetStateMachine!.Properties.RoleArn));
    expect(trustedService(role)).toEqual(['states.amazonaws.com']);
    expect(allowedActions(template, role)).toEqual(
      new Set([
        'elasticmapreduce:AddJobFlowSteps',
        'elasticmapreduce:DescribeStep',
        'elasticmapreduce:CancelSteps',
        'events:PutTargets',
        'events:PutRule',
        'events:DescribeRule',
        ...STAR_FOR_STATE_MACHINES,
      ]),
    );
    const cluster = env('object-landed').EMR_CLUSTER_ID;
    const emr = statementsOf(role).filter((s: Json) =>
      actionsOf(s).some((a) => a.startsWith('elasticmapreduce:')),
    );
    expect(resourcesOf(emr[0])).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:elasticmapreduce:\${AWS::Region}:\${AWS::AccountId}:cluster/${cluster}`,
      },
    ]);
  });
});

describe('stream', () => {
  it('is one on-demand Kinesis stream, KMS-encrypted, keeping records for the stage retention', () => {
    const [, stream] = kinesisStream();
    const p = stream.Properties;
    expect(p.Name).toBe(`lakeplane-${STAGE}-events`);
    expect(p.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
    expect(p.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(p.ShardCount, 'no shard count in on-demand mode').toBeUndefined();
    expect(p.RetentionPeriodHours).toBe(STREAM_RETENTION_HOURS);
  });

  it('invokes stream-upsert through one event source mapping with the deployed settings', () => {
    const [streamId] = kinesisStream();
    const [, mapping] = mappingOf('stream-upsert');
    const p = mapping.Properties;
    expect(p.EventSourceArn).toEqual(getAtt(streamId));
    expect(p.Enabled).toBe(true);
    expect(p.StartingPosition).toBe('TRIM_HORIZON');
    expect(p.BatchSize).toBe(500);
    // Whole seconds only (CloudFormation and the Lambda API): 1 s, not the 0.2 s asked for.
    expect(p.MaximumBatchingWindowInSeconds).toBe(1);
    expect(p.ParallelizationFactor).toBe(1);
    expect(p.BisectBatchOnFunctionError).toBe(true);
    expect(p.MaximumRetryAttempts).toBe(3);
    expect(p.MaximumRecordAgeInSeconds).toBe(3600);
    expect(p.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // A filter would drop records silently; a tumbling window changes the handler's contract.
    expect(p.FilterCriteria).toBeUndefined();
    expect(p.TumblingWindowInSeconds).toBeUndefined();
    // Lambda checks the role's stream permissions when it creates the mapping.
    expect([mapping.DependsOn].flat()).toContain(roleOf('stream-upsert'));
  });

  it('is the mapping the local runtime reproduces (local/stream/local-stream.ts STREAM_MAPPING)', () => {
    const p = mappingOf('stream-upsert')[1].Properties;
    expect(p.BatchSize).toBe(STREAM_MAPPING.batchSize);
    expect(p.BisectBatchOnFunctionError).toBe(STREAM_MAPPING.bisectBatchOnFunctionError);
    expect(p.MaximumRetryAttempts).toBe(STREAM_MAPPING.maximumRetryAttempts);
    expect(p.MaximumRecordAgeInSeconds).toBe(STREAM_MAPPING.maximumRecordAgeSeconds);
    expect((p.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures')).toBe(
      STREAM_MAPPING.reportBatchItemFailures,
    );
    // The deployed window is whole seconds: the local one rounds up to it.
    expect(Math.ceil(STREAM_MAPPING.maximumBatchingWindowMs / 1000)).toBe(p.MaximumBatchingWindowInSeconds);
  });

  it('sends discarded batches to an encrypted queue kept 14 days, that stream-upsert may send to', () => {
    const destination = mappingOf('stream-upsert')[1].Properties.DestinationConfig?.OnFailure?.Destination;
    const queueId = refId(destination);
    expect(destination).toEqual(getAtt(queueId));
    const queue = template.Resources[queueId]!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.QueueName).toBe(`lakeplane-${STAGE}-stream-upsert-failed`);
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(
      queue.Properties.SqsManagedSseEnabled === true || queue.Properties.KmsMasterKeyId !== undefined,
      'SSE-SQS or SSE-KMS',
    ).toBe(true);
    expect(grantsOf(template, roleOf('stream-upsert')).get('sqs:SendMessage')).toEqual([getAtt(queueId)]);
  });

  it('outputs the stream name and ARN and the on-failure queue URL', () => {
    const [streamId] = kinesisStream();
    const queueId = refId(mappingOf('stream-upsert')[1].Properties.DestinationConfig.OnFailure.Destination);
    const outputs = Object.fromEntries(Object.entries(template.Outputs).map(([k, v]) => [k, v.Value]));
    expect(outputs).toMatchObject({
      StreamName: { Ref: streamId },
      StreamArn: getAtt(streamId),
      StreamUpsertFailedQueueUrl: { Ref: queueId },
    });
  });
});

describe('ledger table', () => {
  it('matches LEDGER_TABLE_SCHEMA, with point-in-time recovery', () => {
    const table = template.Resources[refId(env('object-landed').LEDGER_TABLE)]!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    const p = table.Properties;
    const name = (x: { AttributeName?: string; IndexName?: string }) => x.AttributeName ?? x.IndexName ?? '';
    expect(LEDGER_TABLE_SCHEMA.GlobalSecondaryIndexes?.length).toBeGreaterThan(0);
    expect(sortBy(p.AttributeDefinitions, name)).toEqual(
      sortBy(LEDGER_TABLE_SCHEMA.AttributeDefinitions, name),
    );
    expect(p.KeySchema).toEqual(LEDGER_TABLE_SCHEMA.KeySchema);
    expect(sortBy(p.GlobalSecondaryIndexes, name)).toEqual(
      sortBy(LEDGER_TABLE_SCHEMA.GlobalSecondaryIndexes, name),
    );
    expect(p.BillingMode).toBe(LEDGER_TABLE_SCHEMA.BillingMode);
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(refId(env('load-events').LEDGER_TABLE)).toBe(refId(env('object-landed').LEDGER_TABLE));
  });
});

describe('control table', () => {
  it('matches CONTROL_TABLE_SCHEMA, with point-in-time recovery, and is kept on stack deletion', () => {
    const id = refId(env('schema-drift').CONTROL_TABLE);
    const table = template.Resources[id]!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    const p = table.Properties;
    expect(p.TableName).toBe(`lakeplane-${STAGE}-control`);
    expect(p.AttributeDefinitions).toEqual(CONTROL_TABLE_SCHEMA.AttributeDefinitions);
    expect(p.KeySchema).toEqual(CONTROL_TABLE_SCHEMA.KeySchema);
    expect(p.GlobalSecondaryIndexes).toEqual(CONTROL_TABLE_SCHEMA.GlobalSecondaryIndexes);
    expect(p.LocalSecondaryIndexes).toEqual(CONTROL_TABLE_SCHEMA.LocalSecondaryIndexes);
    expect(p.BillingMode).toBe(CONTROL_TABLE_SCHEMA.BillingMode);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    for (const name of FUNCTIONS) expect(env(name).CONTROL_TABLE, name).toEqual({ Ref: id });
  });
});

describe('scheduler table', () => {
  it('matches SCHEDULER_TABLE_SCHEMA, with point-in-time recovery, kept on stack deletion, shared by the scheduler functions', () => {
    const id = refId(env('object-landed').SCHEDULER_TABLE);
    const table = template.Resources[id]!;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    const p = table.Properties;
    expect(p.TableName).toBe(`lakeplane-${STAGE}-scheduler`);
    const name = (x: { AttributeName?: string; IndexName?: string }) => x.AttributeName ?? x.IndexName ?? '';
    expect(sortBy(p.AttributeDefinitions, name)).toEqual(
      sortBy(SCHEDULER_TABLE_SCHEMA.AttributeDefinitions, name),
    );
    expect(p.KeySchema).toEqual(SCHEDULER_TABLE_SCHEMA.KeySchema);
    expect(p.GlobalSecondaryIndexes).toEqual(SCHEDULER_TABLE_SCHEMA.GlobalSecondaryIndexes);
    expect(p.BillingMode).toBe(SCHEDULER_TABLE_SCHEMA.BillingMode);
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    for (const fn of ['load-events', 'load-scheduler']) expect(refId(env(fn).SCHEDULER_TABLE), fn).toBe(id);
  });

  it('load-scheduler runs on an EventBridge Scheduler schedule at the stage rate, with the load limits', () => {
    const schedules = ofType('AWS::Scheduler::Schedule').filter(
      ([, s]) => refId(s.Properties.Target.Arn) === lambdaByHandler('load-scheduler')[0],
    );
    expect(schedules).toHaveLength(1);
    const [, schedule] = schedules[0]!;
    expect(schedule.Properties.ScheduleExpression).toBe('rate(5 minutes)');
    expect(env('load-scheduler')).toMatchObject({
      LAKEPLANE_LOAD_MAX_OBJECTS: '20000',
      LAKEPLANE_LOAD_MAX_BYTES: '8589934592',
    });
  });
});

describe('reconciler', () => {
  it('runs on its own schedule at the stage rate and consumes every dead-letter queue of the stage (rules, destinations, the stream mapping)', () => {
    const [fn, lambda] = lambdaByHandler('reconciler');
    const schedules = ofType('AWS::Scheduler::Schedule').filter(
      ([, s]) => refId(s.Properties.Target.Arn) === fn,
    );
    expect(schedules.map(([, s]) => s.Properties.ScheduleExpression)).toEqual(['rate(15 minutes)']);
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(
      ([, m]) => refId(m.Properties.FunctionName) === fn,
    );
    const queues = mappings.map(([, m]) => m.Properties.EventSourceArn['Fn::GetAtt'][0]).sort();
    expect(queues).toEqual([
      'LoadEventsFailedQueue',
      'LoadEventsUndeliveredQueue',
      'ObjectLandedFailedQueue',
      'ObjectLandedUndeliveredQueue',
      'SchemaDriftFailedQueue',
      'SchemaDriftUndeliveredQueue',
      'StreamUpsertFailedQueue',
    ]);
    // Every dead-letter queue of the template: none is left without a reader.
    const deadLetters = ofType('AWS::SQS::Queue')
      .map(([id]) => id)
      .filter((id) => /(Undelivered|Failed)Queue$/.test(id))
      .sort();
    expect(queues).toEqual(deadLetters);
    for (const [, m] of mappings)
      expect(m.Properties.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    // SQS hides a message this long while the function works on it: longer than its timeout.
    for (const q of queues)
      expect(template.Resources[q]!.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
        lambda.Properties.Timeout,
      );
  });
});

describe('Bronze catalog', () => {
  it('is one Glue database named by the stage parameter bronzeDatabase', () => {
    const [, db] = bronzeDatabase();
    expect(db.Properties.DatabaseInput.Name).toBe(BRONZE_DATABASE);
    expect(db.Properties.CatalogId).toEqual({ Ref: 'AWS::AccountId' });
  });

  it('has one crawler per dataset contract, over its Bronze prefix, into the Bronze database', () => {
    expect(CONTRACTS.map((c) => c.name)).toContain('orders');
    const [dbId] = bronzeDatabase();
    const bronze = refId(env('schema-drift').BRONZE_BUCKET);
    const byPath = new Map(
      crawlers().map(([id, c]) => {
        const targets = c.Properties.Targets;
        expect(Object.keys(targets), id).toEqual(['S3Targets']);
        expect(targets.S3Targets, id).toHaveLength(1);
        return [targets.S3Targets[0].Path['Fn::Sub'], c] as const;
      }),
    );
    expect(byPath.size).toBe(CONTRACTS.length);
    for (const contract of CONTRACTS) {
      const crawler = byPath.get(`s3://\${${bronze}}/${contract.bronze.prefix}`);
      expect(crawler, `crawler of ${contract.name} (s3://<bronze>/${contract.bronze.prefix})`).toBeDefined();
      const p = crawler!.Properties;
      expect(p.Name).toBe(`lakeplane-${STAGE}-bronze-${contract.name}`);
      expect(p.DatabaseName).toEqual({ Ref: dbId });
      // The table is named after the include path's last folder: the dataset, with no prefix,
      // which is how schema-drift maps a table to its contract (no BRONZE_TABLE_PREFIX).
      expect(p.TablePrefix).toBeUndefined();
      expect(contract.bronze.prefix.split('/').filter(Boolean).pop()).toBe(contract.name);
    }
  });

  it('crawlers update the table in place, log deletions, recrawl everything, on the stage schedule', () => {
    expect(crawlers().length).toBeGreaterThan(0);
    for (const [id, c] of crawlers()) {
      const p = c.Properties;
      expect(p.SchemaChangePolicy, id).toEqual({
        UpdateBehavior: 'UPDATE_IN_DATABASE',
        DeleteBehavior: 'LOG',
      });
      expect(p.RecrawlPolicy, id).toEqual({ RecrawlBehavior: 'CRAWL_EVERYTHING' });
      expect(p.Schedule, id).toEqual({ ScheduleExpression: BRONZE_CRAWLER_SCHEDULE });
      const configuration = JSON.parse(p.Configuration);
      // One table per include path even when files differ in columns.
      expect(configuration.Grouping?.TableGroupingPolicy, id).toBe('CombineCompatibleSchemas');
      // Not "add new columns only": it would keep old column types and never drop a column,
      // hiding from schema-drift the breaking changes it is there to catch.
      expect(configuration.CrawlerOutput?.Tables?.AddOrUpdateBehavior, id).toBeUndefined();
    }
  });

  it('outputs the control table, the Bronze database and the crawler names', () => {
    const outputs = Object.fromEntries(Object.entries(template.Outputs).map(([k, v]) => [k, v.Value]));
    expect(outputs.ControlTableName).toEqual(env('schema-drift').CONTROL_TABLE);
    expect(outputs.BronzeDatabaseName).toEqual({ Ref: bronzeDatabase()[0] });
    const ids = crawlers().map(([id]) => id);
    for (const id of ids) expect(outputs[`${id}Name`], id).toEqual({ Ref: id });
    const [delimiter, names] = outputs.BronzeCrawlerNames['Fn::Join'];
    expect(delimiter).toBe(',');
    expect(names.map(refId).sort()).toEqual(ids.sort());
    expect(outputs).toMatchObject({
      SchemaDriftFailedQueueUrl: { Ref: 'SchemaDriftFailedQueue' },
      SchemaDriftUndeliveredQueueUrl: { Ref: 'SchemaDriftUndeliveredQueue' },
    });
  });
});

describe('buckets', () => {
  const zones = ['BRONZE_BUCKET', 'SILVER_BUCKET', 'GOLD_BUCKET', 'QUARANTINE_BUCKET', 'ARTIFACTS_BUCKET'];

  it.each(zones)('%s is versioned, private, encrypted and named after stage and account', (variable) => {
    const bucket = template.Resources[refId(env('object-landed')[variable])]!;
    expect(bucket.Type).toBe('AWS::S3::Bucket');
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toHaveLength(1);
    const name = bucket.Properties.BucketName['Fn::Sub'];
    expect(name).toContain(`-${STAGE}-`);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder.
    expect(name).toContain('${AWS::AccountId}');
  });

  it('outputs the resources the CLI looks up', () => {
    const outputs = Object.fromEntries(Object.entries(template.Outputs).map(([k, v]) => [k, v.Value]));
    const e = env('load-events');
    expect(outputs).toMatchObject({
      BronzeBucketName: e.BRONZE_BUCKET,
      SilverBucketName: e.SILVER_BUCKET,
      GoldBucketName: e.GOLD_BUCKET,
      QuarantineBucketName: e.QUARANTINE_BUCKET,
      ArtifactsBucketName: e.ARTIFACTS_BUCKET,
      LedgerTableName: e.LEDGER_TABLE,
      SchedulerTableName: e.SCHEDULER_TABLE,
      LoadDatasetStateMachineArn: e.STATE_MACHINE_ARN,
      DqRouterFunctionName: { Ref: lambdaByHandler('dq-router')[0] },
    });
  });
});

describe('IAM', () => {
  it('has no wildcard actions, no Not* elements, and Resource "*" only where AWS allows nothing else', () => {
    expect(iamViolations(template, starAllowedIn(template))).toEqual([]);
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      expect(role.Properties.ManagedPolicyArns, `${id} attaches managed policies`).toBeUndefined();
    }
  });

  it('has no circular dependency between resources (CloudFormation would refuse the stack)', () => {
    expect(dependencyCycles(template)).toEqual([]);
  });

  it('grants budget-guard one Query on the ledger by dataset, its log group and X-Ray, nothing else', () => {
    const grants = grantsOf(template, roleOf('budget-guard'));
    expect(new Set(grants.keys())).toEqual(
      new Set([
        'dynamodb:Query',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
    const ledger = refId(env('budget-guard').LEDGER_TABLE);
    expect(grants.get('dynamodb:Query')).toEqual([{ 'Fn::Sub': `\${${ledger}.Arn}/index/byDataset` }]);
    expect(LEDGER_TABLE_SCHEMA.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toContain('byDataset');
    // Its deployed environment is what functions/budget-guard/aws.ts reads.
    expect(budgetGuardEnvironment.parse(asDeployed(env('budget-guard')))).toEqual({
      EMR_STEP_HOURS_PER_DATASET_PER_DAY: 12,
    });
  });

  it('grants object-landed exactly what it uses', () => {
    expect(allowedActions(template, roleOf('object-landed'))).toEqual(
      new Set([
        'dynamodb:PutItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        's3:PutObject',
        's3:GetObject',
        'kms:GenerateDataKey',
        'kms:Decrypt',
        'states:StartExecution',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
  });

  it('grants load-events exactly what it uses', () => {
    expect(allowedActions(template, roleOf('load-events'))).toEqual(
      new Set([
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'states:StartExecution',
        's3:GetObject',
        's3:PutObject',
        'kms:GenerateDataKey',
        's3:ListBucket',
        'ssm:GetParameter',
        'kms:Decrypt',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
    // The chain's replays: the next load's execution, and the later loads of its key.
    const grants = grantsOf(template, roleOf('load-events'));
    expect(grants.get('states:StartExecution')).toEqual([env('load-events').STATE_MACHINE_ARN]);
    expect(grants.get('dynamodb:Query')).toEqual([
      getAtt(refId(env('load-events').SCHEDULER_TABLE)),
      { 'Fn::Sub': `\${${refId(env('load-events').SCHEDULER_TABLE)}.Arn}/index/pending` },
      { 'Fn::Sub': `\${${refId(env('load-events').LEDGER_TABLE)}.Arn}/index/byDataset` },
    ]);
  });

  it('grants load-scheduler exactly what it uses, on the scheduler table, runs/ manifests and load-dataset', () => {
    expect(allowedActions(template, roleOf('load-scheduler'))).toEqual(
      new Set([
        'dynamodb:PutItem',
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        's3:PutObject',
        's3:GetObject',
        'kms:GenerateDataKey',
        'kms:Decrypt',
        'states:StartExecution',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
    const grants = grantsOf(template, roleOf('load-scheduler'));
    const scheduler = refId(env('load-scheduler').SCHEDULER_TABLE);
    expect(grants.get('dynamodb:UpdateItem')).toEqual([
      getAtt(scheduler),
      { 'Fn::Sub': `\${${scheduler}.Arn}/index/pending` },
    ]);
    expect(grants.get('s3:PutObject')).toEqual([
      { 'Fn::Sub': `\${${refId(env('load-scheduler').ARTIFACTS_BUCKET)}.Arn}/runs/*` },
    ]);
    expect(grants.get('states:StartExecution')).toEqual([env('load-scheduler').STATE_MACHINE_ARN]);
  });

  it('grants stream-upsert exactly what it uses', () => {
    expect(allowedActions(template, roleOf('stream-upsert'))).toEqual(
      new Set([
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
        's3:PutObject',
        'kms:GenerateDataKey',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
  });

  it('scopes stream-upsert to its stream, the stream/ keys of two buckets, its queue and log group', () => {
    const grants = grantsOf(template, roleOf('stream-upsert'));
    const e = env('stream-upsert');
    const [streamId] = kinesisStream();
    for (const action of [
      'kinesis:DescribeStream',
      'kinesis:DescribeStreamSummary',
      'kinesis:GetRecords',
      'kinesis:GetShardIterator',
      'kinesis:ListShards',
    ])
      expect(grants.get(action), action).toEqual([getAtt(streamId)]);
    // Object keys: `<dataset prefix>stream/date=…/…ndjson.gz` in Bronze, `stream/date=…/…` in quarantine.
    expect(grants.get('s3:PutObject')).toEqual([
      { 'Fn::Sub': `\${${refId(e.BRONZE_BUCKET)}.Arn}/*/stream/*` },
      { 'Fn::Sub': `\${${refId(e.QUARANTINE_BUCKET)}.Arn}/stream/*` },
    ]);
    const queueId = refId(mappingOf('stream-upsert')[1].Properties.DestinationConfig.OnFailure.Destination);
    expect(grants.get('sqs:SendMessage')).toEqual([getAtt(queueId)]);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      const [logGroup, ...more] = grants.get(action) ?? [];
      expect(more, action).toEqual([]);
      expect(template.Resources[refId(logGroup)]?.Properties.LogGroupName, action).toBe(
        `/aws/lambda/lakeplane-${STAGE}-stream-upsert`,
      );
    }
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      expect(grants.get(action), action).toEqual(['*']);
  });

  it('grants dq-router exactly what it uses', () => {
    expect(allowedActions(template, roleOf('dq-router'))).toEqual(
      new Set([
        's3:GetObject',
        's3:ListBucket',
        'ssm:GetParameter',
        'kms:Decrypt',
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
  });

  it('scopes dq-router to run results, the webhook parameter, load-dataset and its log group', () => {
    const grants = grantsOf(template, roleOf('dq-router'));
    const artifacts = refId(env('dq-router').ARTIFACTS_BUCKET);
    expect(template.Resources[artifacts]?.Properties.BucketName['Fn::Sub']).toContain('-artifacts-');
    expect(grants.get('s3:GetObject')).toEqual([{ 'Fn::Sub': `\${${artifacts}.Arn}/runs/*` }]);
    // Listing (for a 404 on a missing result) only under runs/.
    expect(grants.get('s3:ListBucket')).toEqual([
      { resource: getAtt(artifacts), condition: { StringLike: { 's3:prefix': 'runs/*' } } },
    ]);
    const parameter = `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${env('dq-router').SLACK_WEBHOOK_PARAMETER}`;
    expect(grants.get('ssm:GetParameter')).toEqual([{ 'Fn::Sub': parameter }]);
    expect(grants.get('kms:Decrypt')).toEqual([
      LAKE_KEY_VIA_S3,
      {
        resource: { 'Fn::Sub': `arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/*` },
        condition: {
          StringEquals: {
            'kms:ViaService': { 'Fn::Sub': `ssm.\${AWS::Region}.amazonaws.com` },
            'kms:EncryptionContext:PARAMETER_ARN': { 'Fn::Sub': parameter },
          },
        },
      },
    ]);
    const [machineId] = ofType('AWS::StepFunctions::StateMachine')[0]!;
    for (const action of ['states:SendTaskSuccess', 'states:SendTaskFailure'])
      expect(grants.get(action), action).toEqual([{ Ref: machineId }]);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      const [logGroup, ...more] = grants.get(action) ?? [];
      expect(more, action).toEqual([]);
      expect(template.Resources[refId(logGroup)]?.Properties.LogGroupName, action).toBe(
        `/aws/lambda/lakeplane-${STAGE}-dq-router`,
      );
    }
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      expect(grants.get(action), action).toEqual(['*']);
  });

  it('lets object-landed read the control table, and only read it', () => {
    const control = refId(env('object-landed').CONTROL_TABLE);
    const grants = grantsOf(template, roleOf('object-landed'));
    expect(grants.get('dynamodb:GetItem')).toEqual(
      expect.arrayContaining([getAtt(refId(env('object-landed').LEDGER_TABLE)), getAtt(control)]),
    );
    // The ledger, the control table and the scheduler table (and its index, which GetItem ignores).
    expect(grants.get('dynamodb:GetItem')).toHaveLength(4);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      expect(grants.get(action) ?? [], action).not.toContainEqual(getAtt(control));
  });

  it('grants schema-drift exactly what it uses', () => {
    expect(allowedActions(template, roleOf('schema-drift'))).toEqual(
      new Set([
        'glue:GetTableVersions',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'events:PutEvents',
        'ssm:GetParameter',
        'kms:Decrypt',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:SendMessage',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
  });

  it('scopes schema-drift to the Bronze tables, the control table, the default bus and the webhook', () => {
    const grants = grantsOf(template, roleOf('schema-drift'));
    const e = env('schema-drift');
    expect(grants.get('glue:GetTableVersions')).toEqual([
      glueArn('catalog'),
      glueArn(`database/${BRONZE_DATABASE}`),
      glueArn(`table/${BRONZE_DATABASE}/*`),
    ]);
    for (const action of ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'])
      expect(grants.get(action), action).toEqual([getAtt(refId(e.CONTROL_TABLE))]);
    expect(e.EVENT_BUS_NAME).toBe('default');
    expect(grants.get('events:PutEvents')).toEqual([
      { 'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:event-bus/default` },
    ]);
    // The same parameter, decrypted the same way, as dq-router.
    const dqRouter = grantsOf(template, roleOf('dq-router'));
    expect(e.SLACK_WEBHOOK_PARAMETER).toBe(env('dq-router').SLACK_WEBHOOK_PARAMETER);
    expect(grants.get('ssm:GetParameter')).toEqual([...dqRouter.get('ssm:GetParameter')!, OPENLINEAGE_KEY]);
    // (Not the lake key: schema-drift reads no object.)
    expect(grants.get('kms:Decrypt')).toEqual(
      dqRouter.get('kms:Decrypt')!.filter((g) => !isDeepStrictEqual(g, LAKE_KEY_VIA_S3)),
    );
    expect(JSON.stringify(grants.get('kms:Decrypt'))).toContain('ssm.');
    const [, fn] = lambdaByHandler('schema-drift');
    const [configId] = ofType('AWS::Lambda::EventInvokeConfig').find(
      ([, r]) => refId(r.Properties.FunctionName) === lambdaByHandler('schema-drift')[0],
    )!;
    const failed = template.Resources[configId]!.Properties.DestinationConfig.OnFailure.Destination;
    expect(grants.get('sqs:SendMessage')).toEqual([failed]);
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      const [logGroup, ...more] = grants.get(action) ?? [];
      expect(more, action).toEqual([]);
      expect(template.Resources[refId(logGroup)]?.Properties.LogGroupName, action).toBe(
        `/aws/lambda/${fn.Properties.FunctionName}`,
      );
    }
    expect(fn.Properties.FunctionName).toBe(`lakeplane-${STAGE}-schema-drift`);
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      expect(grants.get(action), action).toEqual(['*']);
  });

  it('gives the Bronze crawlers one role: read the dataset prefixes, write the dataset tables', () => {
    const roles = new Set(crawlers().map(([, c]) => refId(c.Properties.Role)));
    expect(roles.size).toBe(1);
    const [role] = roles;
    expect(crawlers()[0]![1].Properties.Role).toEqual(getAtt(role!));
    expect(trustedService(role!)).toEqual(['glue.amazonaws.com']);
    // Inline statements only, no AWSGlueServiceRole (checked for every role above).
    expect(template.Resources[role!]?.Properties.ManagedPolicyArns).toBeUndefined();
    const catalogActions = [
      'glue:GetDatabase',
      'glue:GetTable',
      'glue:GetTables',
      'glue:CreateTable',
      'glue:UpdateTable',
      'glue:GetPartition',
      'glue:GetPartitions',
      'glue:BatchGetPartition',
      'glue:CreatePartition',
      'glue:BatchCreatePartition',
      'glue:UpdatePartition',
      'glue:BatchUpdatePartition',
    ];
    expect(allowedActions(template, role!)).toEqual(
      new Set([
        's3:GetObject',
        'kms:Decrypt',
        's3:ListBucket',
        's3:GetBucketLocation',
        ...catalogActions,
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]),
    );
    const grants = grantsOf(template, role!);
    const bronze = refId(env('schema-drift').BRONZE_BUCKET);
    const byName = sortBy(CONTRACTS, (c) => c.name);
    expect(sortBy(grants.get('s3:GetObject') as { 'Fn::Sub': string }[], (r) => r['Fn::Sub'])).toEqual(
      sortBy(
        byName.map((c) => ({ 'Fn::Sub': `\${${bronze}.Arn}/${c.bronze.prefix}*` })),
        (r) => r['Fn::Sub'],
      ),
    );
    for (const action of ['s3:ListBucket', 's3:GetBucketLocation'])
      expect(grants.get(action), action).toEqual([getAtt(bronze)]);
    // No DeleteTable/BatchDeleteTable (DeleteBehavior LOG), and no table but the datasets'.
    for (const action of catalogActions)
      expect(grants.get(action), action).toEqual([
        glueArn('catalog'),
        glueArn(`database/${BRONZE_DATABASE}`),
        ...byName.map((c) => glueArn(`table/${BRONZE_DATABASE}/${c.name}`)),
      ]);
    const logs = `arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws-glue/crawlers`;
    expect(grants.get('logs:CreateLogGroup')).toEqual([{ 'Fn::Sub': logs }]);
    const streams = sortBy(
      crawlers().map(([, c]) => ({ 'Fn::Sub': `${logs}:log-stream:${c.Properties.Name}` })),
      (r) => r['Fn::Sub'],
    );
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents'])
      expect(
        sortBy(grants.get(action) as { 'Fn::Sub': string }[], (r) => r['Fn::Sub']),
        action,
      ).toEqual(streams);
  });

  it('lets load-events read only run results and the webhook parameter', () => {
    const role = template.Resources[roleOf('load-events')]!;
    const statements = role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    const only = (action: string) => {
      const hits = statements.filter((s: Json) => actionsOf(s).includes(action));
      expect(hits, action).toHaveLength(1);
      return JSON.stringify(resourcesOf(hits[0]));
    };
    expect(only('s3:GetObject')).toBe(
      JSON.stringify([{ 'Fn::Sub': `\${${refId(env('load-events').ARTIFACTS_BUCKET)}.Arn}/runs/*` }]),
    );
    expect(only('ssm:GetParameter')).toBe(
      JSON.stringify([
        {
          'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/lakeplane/${STAGE}/slack-webhook-url`,
        },
        OPENLINEAGE_KEY,
      ]),
    );
    const kms = statements.find(
      (s: Json) =>
        actionsOf(s).includes('kms:Decrypt') &&
        s.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN'],
    );
    expect(grantsOf(template, roleOf('load-events')).get('kms:Decrypt')).toContainEqual(LAKE_KEY_VIA_S3);
    expect(JSON.stringify(kms.Condition.StringEquals['kms:EncryptionContext:PARAMETER_ARN'])).toContain(
      `:parameter/lakeplane/${STAGE}/slack-webhook-url"`,
    );
  });
});

describe('function packages', () => {
  it.each([
    'object-landed',
    'load-events',
    'stream-upsert',
    'dq-router',
    'schema-drift',
    'slack-actions',
    'budget-guard',
    'load-scheduler',
    'reconciler',
  ])('%s carries its contracts compiled into its bundle, and no contract file', (name) => {
    // scripts/esbuild-contracts.mjs: datasets/*.yaml as JSON inside index.mjs (no YAML parser).
    expect([...zipOf(name).keys()].sort()).toEqual([
      `functions/${name}/index.mjs`,
      `functions/${name}/index.mjs.map`,
    ]);
    const code = zipOf(name).get(`functions/${name}/index.mjs`)!.read().toString('utf8');
    expect(CONTRACTS.map((c) => c.name)).toContain('orders');
    for (const c of CONTRACTS)
      expect(new RegExp(`\\\\?"name\\\\?":\\\\?"${c.name}\\\\?"`).test(code), c.name).toBe(true);
  });

  it.each([
    ['object-landed', 'client-dynamodb'],
    ['load-events', 'client-dynamodb'],
    ['stream-upsert', 'client-s3'],
    ['dq-router', 'client-sfn'],
    ['schema-drift', 'client-glue'],
    ['slack-actions', 'client-sfn'],
    ['load-scheduler', 'client-dynamodb'],
  ])('%s is one ESM bundle with the AWS SDK left to the runtime (@aws-sdk/%s)', (name, client) => {
    const zip = zipOf(name);
    const entry = zip.get(`functions/${name}/index.mjs`);
    expect(entry, `functions/${name}/index.mjs in ${[...zip.keys()].join(', ')}`).toBeDefined();
    expect([...zip.keys()].filter((f) => f.startsWith('node_modules/'))).toEqual([]);
    const code = entry!.read().toString('utf8');
    expect(
      code.startsWith("import { createRequire } from 'node:module';"),
      'starts with the createRequire banner',
    ).toBe(true);
    expect(
      new RegExp(`from\\s*"@aws-sdk/${client}"`).test(code),
      `imports @aws-sdk/${client} from the runtime`,
    ).toBe(true);
  });

  it.each(FUNCTIONS)('%s bundle is at most BUNDLE_LIMIT_BYTES minified', (name) => {
    const size = zipOf(name).get(`functions/${name}/index.mjs`)!.size;
    expect(size, `functions/${name}/index.mjs`).toBeLessThanOrEqual(BUNDLE_LIMIT_BYTES);
  });

  it.each(FUNCTIONS)('%s starts from its package alone on its deployed environment', async (name) => {
    // The zip unpacked as Lambda's task root (no datasets/ in it), the AWS SDK from
    // node_modules as the runtime provides it; importing index.mjs builds the handler's
    // dependencies as a cold start does, the contracts validated from the bundle's JSON.
    const taskRoot = join(dir, `${name}-task-root`);
    for (const [file, entry] of zipOf(name)) {
      mkdirSync(dirname(join(taskRoot, file)), { recursive: true });
      writeFileSync(join(taskRoot, file), entry.read());
    }
    symlinkSync(join(ROOT, 'node_modules'), join(taskRoot, 'node_modules'), 'dir');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        'const m = await import(process.argv[1]); console.log(typeof m.handler);',
        pathToFileURL(join(taskRoot, `functions/${name}/index.mjs`)).href,
      ],
      {
        cwd: taskRoot,
        env: {
          PATH: process.env.PATH,
          ...asDeployed(env(name)),
          LAMBDA_TASK_ROOT: taskRoot,
          AWS_REGION: 'eu-west-1',
          AWS_LAMBDA_FUNCTION_NAME: `lakeplane-${STAGE}-${name}`,
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        },
      },
    );
    expect(stdout.trim()).toBe('function');
  });
});

describe('slack-actions', () => {
  /** custom.slackSigningSecretName: a Secrets Manager secret created outside the stack. */
  const SECRET_NAME = `lakeplane/${STAGE}/slack-signing-secret`;
  const httpApi = (): [string, Resource] => {
    const apis = ofType('AWS::ApiGatewayV2::Api');
    expect(apis, 'HTTP APIs').toHaveLength(1);
    expect(apis[0]![1].Properties.ProtocolType).toBe('HTTP');
    return apis[0]!;
  };

  it('is invoked by the HTTP API route POST /slack/actions, payload format 2.0', () => {
    const [apiId] = httpApi();
    const [fnId] = lambdaByHandler('slack-actions');
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey)).toEqual(['POST /slack/actions']);
    const [, route] = routes[0]!;
    expect(route.Properties.ApiId).toEqual({ Ref: apiId });
    expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    // Target: integrations/<integration id>.
    const integrationId = refId(route.Properties.Target['Fn::Join'][1][1]);
    const integration = template.Resources[integrationId]!;
    expect(integration.Type).toBe('AWS::ApiGatewayV2::Integration');
    expect(integration.Properties).toMatchObject({
      ApiId: { Ref: apiId },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: getAtt(fnId),
      PayloadFormatVersion: '2.0',
    });
    // API Gateway may invoke the function, from this API only.
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com',
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]![1].Properties.FunctionName).toEqual(getAtt(fnId));
    expect(JSON.stringify(permissions[0]![1].Properties.SourceArn)).toContain(`{"Ref":"${apiId}"},"/*"`);
    // One auto-deployed $default stage: the route's URL is the API endpoint plus the path.
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(
      stages.map(([, st]) => [st.Properties.ApiId, st.Properties.StageName, st.Properties.AutoDeploy]),
    ).toEqual([[{ Ref: apiId }, '$default', true]]);
  });

  it('outputs the route URL (the Slack app Interactivity Request URL)', () => {
    const [apiId] = httpApi();
    expect(template.Outputs.SlackActionsUrl?.Value).toEqual({
      'Fn::Sub': `https://\${${apiId}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}/slack/actions`,
    });
  });

  it('starts on its deployed environment and the contracts of its package', () => {
    const e = env('slack-actions');
    expect(e.POWERTOOLS_SERVICE_NAME).toBe('slack-actions');
    expect(e.SLACK_SIGNING_SECRET_ID).toBe(SECRET_NAME);
    // params.default.slackAllowedUserIds: empty, nobody (kept as "", not stripped).
    expect(e.SLACK_ALLOWED_USER_IDS).toBe('');
    expect(slackActionsEnvironment.safeParse(asDeployed(e)).error?.issues ?? []).toEqual([]);
    // The ledger and state machine object-landed uses.
    expect(e.LEDGER_TABLE).toEqual(env('object-landed').LEDGER_TABLE);
    expect(e.STATE_MACHINE_ARN).toEqual(env('object-landed').STATE_MACHINE_ARN);
    // functions/slack-actions/aws.ts decides what it needs (ConfigurationError otherwise); it
    // reads process.env. Run from source it reads the contracts the build compiles into its
    // bundle (datasets/ under the task root); the bundle itself starts under "function packages".
    const deployed = { ...asDeployed(e), LAMBDA_TASK_ROOT: ROOT };
    for (const key of [
      ...Object.keys(lambdaEnvironment.shape),
      ...Object.keys(slackActionsEnvironment.shape),
    ])
      vi.stubEnv(key, undefined);
    for (const [key, value] of Object.entries(deployed)) vi.stubEnv(key, value);
    try {
      const deps = slackActionsDeps();
      expect(deps.allowedUserIds.size).toBe(0);
      expect([...deps.contracts.datasets.keys()]).toContain('orders');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('grants exactly what it uses', () => {
    expect(allowedActions(template, roleOf('slack-actions'))).toEqual(
      new Set([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'states:StartExecution',
        'secretsmanager:GetSecretValue',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
      ]),
    );
  });

  it('keeps its replay guard on the control table: PutItem of slack-request# keys only, expired by TTL', () => {
    const e = env('slack-actions');
    const control = refId(e.CONTROL_TABLE);
    expect(control).toBe('ControlTable');
    const put = statementsOf(roleOf('slack-actions')).filter((s: Json) =>
      actionsOf(s).includes('dynamodb:PutItem'),
    );
    expect(put).toHaveLength(1);
    expect(actionsOf(put[0])).toEqual(['dynamodb:PutItem']);
    expect(resourcesOf(put[0])).toEqual([getAtt(control)]);
    expect(put[0].Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${SLACK_REQUEST_PREFIX}*`] },
    });
    expect(template.Resources[control]!.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'ttl',
      Enabled: true,
    });
  });

  it('scopes it to the ledger and its indexes, the dataset slots, load-dataset, the signing secret and its log group', () => {
    const grants = grantsOf(template, roleOf('slack-actions'));
    const e = env('slack-actions');
    const ledger = refId(e.LEDGER_TABLE);
    expect(template.Resources[ledger]?.Type).toBe('AWS::DynamoDB::Table');
    // A replay takes its dataset's slot on the scheduler table (Get and conditional Update).
    const slots = getAtt(refId(e.SCHEDULER_TABLE));
    for (const action of ['dynamodb:GetItem', 'dynamodb:UpdateItem'])
      expect(grants.get(action), action).toEqual([
        getAtt(ledger),
        { 'Fn::Sub': `\${${ledger}.Arn}/index/*` },
        slots,
      ]);
    expect(grants.get('dynamodb:Query')).toEqual([
      getAtt(ledger),
      { 'Fn::Sub': `\${${ledger}.Arn}/index/*` },
    ]);
    expect(grants.get('states:StartExecution')).toEqual([e.STATE_MACHINE_ARN, e.ROLLBACK_STATE_MACHINE_ARN]);
    // Secrets Manager appends "-" and 6 random characters to the name: "??????" matches exactly those.
    expect(grants.get('secretsmanager:GetSecretValue')).toEqual([
      {
        'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${e.SLACK_SIGNING_SECRET_ID}-??????`,
      },
    ]);
    const [fnId, fn] = lambdaByHandler('slack-actions');
    for (const action of ['logs:CreateLogStream', 'logs:PutLogEvents']) {
      const [logGroup, ...more] = grants.get(action) ?? [];
      expect(more, action).toEqual([]);
      expect(template.Resources[refId(logGroup)]?.Properties.LogGroupName, action).toBe(
        `/aws/lambda/${fn.Properties.FunctionName}`,
      );
    }
    expect(fn.Properties.FunctionName).toBe(`lakeplane-${STAGE}-slack-actions`);
    for (const action of ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])
      expect(grants.get(action), action).toEqual(['*']);
    // Invoked synchronously by API Gateway: no async retries, no destination queue.
    expect(
      ofType('AWS::Lambda::EventInvokeConfig').filter(([, c]) => refId(c.Properties.FunctionName) === fnId),
    ).toEqual([]);
  });
});
