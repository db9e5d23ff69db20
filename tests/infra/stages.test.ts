/**
 * Every stage packages offline, and its packaged CloudFormation is checked: the IAM walker, the
 * zone buckets (KMS, TLS-only and right-key policies, lifecycle, access logs), CloudTrail data
 * events, Lake Formation grants against the dataset contracts (pii columns never granted),
 * alarms and budget, prod's DR replication against dr/dr-stack.yml, and what differs per stage.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadContractsDir } from '../../shared/contracts-dir.js';
import { dependencyCycles } from './graph.js';
import { iamViolations, starAllowedIn } from './iam.js';
import { packageStage, ROOT } from './package-stage.js';
import { SchemaLint } from './schema-lint.js';
import type { Json, Template } from './template.js';

const STAGES = ['sandbox', 'staging', 'prod'] as const;
type Stage = (typeof STAGES)[number];
const ZONES = ['Bronze', 'Silver', 'Gold', 'Quarantine', 'Artifacts'] as const;
const CONTRACTS = [...loadContractsDir(join(ROOT, 'datasets')).datasets.values()];
/** params of serverless.yml, as written (the expectations read the file, not the template). */
const PARAMS = (
  parse(readFileSync(join(ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'error' }) as {
    params: Record<string, Json>;
  }
).params;
const param = (stage: Stage, name: string): Json => PARAMS[stage]?.[name] ?? PARAMS.default[name];

const templates = {} as Record<Stage, Template>;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lakeplane-stages-'));
  // One at a time: osls and esbuild each use both cores.
  for (const stage of STAGES) templates[stage] = await packageStage(stage, join(dir, stage));
}, 300_000);
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ofType = (t: Template, type: string) => Object.entries(t.Resources).filter(([, r]) => r.Type === type);
const getAtt = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const condition = (t: Template, name: string): boolean => {
  const c = (t as Json).Conditions?.[name]?.['Fn::Equals'];
  expect(c, `condition ${name}`).toHaveLength(2);
  return String(c[0]) === String(c[1]);
};

describe.each(STAGES)('stage %s', (stage) => {
  const t = () => templates[stage];

  it('passes the IAM walker: no wildcard actions or Not*, Resource "*" only from the allowlist, a role per function', () => {
    expect(iamViolations(t(), starAllowedIn(t()))).toEqual([]);
    expect(dependencyCycles(t())).toEqual([]);
    const roles = ofType(t(), 'AWS::Lambda::Function').map(([, f]) => JSON.stringify(f.Properties.Role));
    expect(roles.length).toBeGreaterThanOrEqual(6);
    expect(new Set(roles).size).toBe(roles.length);
    for (const [id, role] of ofType(t(), 'AWS::IAM::Role'))
      expect(role.Properties.ManagedPolicyArns, `${id} attaches managed policies`).toBeUndefined();
  });

  it('encrypts every zone with the rotating lake key, denies non-TLS access and other encryption', () => {
    const [[keyId, key]] = ofType(t(), 'AWS::KMS::Key') as [[string, Json]];
    expect(keyId).toBe('LakeKey');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    for (const zone of ZONES) {
      const id = `${zone}Bucket`;
      const p = t().Resources[id]!.Properties;
      expect(p.BucketName['Fn::Sub'], id).toBe(
        `lakeplane-${stage}-${zone.toLowerCase()}-\${AWS::AccountId}-\${AWS::Region}`,
      );
      expect(p.VersioningConfiguration, id).toEqual({ Status: 'Enabled' });
      expect(p.PublicAccessBlockConfiguration, id).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(p.BucketEncryption.ServerSideEncryptionConfiguration, id).toEqual([
        {
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: getAtt('LakeKey') },
          BucketKeyEnabled: true,
        },
      ]);
      expect(p.OwnershipControls, id).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
      expect(t().Resources[id]!.DeletionPolicy, id).toBe('Retain');

      const [[, policy]] = ofType(t(), 'AWS::S3::BucketPolicy').filter(
        ([, r]) => r.Properties.Bucket.Ref === id,
      ) as [[string, Json]];
      const statements: Json[] = policy.Properties.PolicyDocument.Statement;
      expect(
        statements.find((s) => s.Sid === 'DenyInsecureTransport'),
        id,
      ).toEqual({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [getAtt(id), { 'Fn::Sub': `\${${id}.Arn}/*` }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
      expect(statements.find((s) => s.Sid === 'DenyOtherEncryption')?.Condition, id).toEqual({
        StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': 'aws:kms' },
      });
      expect(statements.find((s) => s.Sid === 'DenyOtherKey')?.Condition, id).toEqual({
        StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption-aws-kms-key-id': getAtt('LakeKey') },
      });
      for (const s of statements) expect(s.Effect, `${id} ${s.Sid}`).toBe('Deny');
    }
  });

  it('logs access to every zone, and expires old versions and uploads as the stage says', () => {
    const noncurrent = Number(param(stage, 'noncurrentVersionDays'));
    for (const zone of ZONES) {
      const id = `${zone}Bucket`;
      const p = t().Resources[id]!.Properties;
      expect(p.LoggingConfiguration, id).toEqual({
        DestinationBucketName: { Ref: 'LogsBucket' },
        LogFilePrefix: `s3-access/${zone.toLowerCase()}/`,
      });
      const rules: Json[] = p.LifecycleConfiguration.Rules;
      expect(rules.find((r) => r.AbortIncompleteMultipartUpload)?.AbortIncompleteMultipartUpload, id).toEqual(
        {
          DaysAfterInitiation: 7,
        },
      );
      expect(rules.find((r) => r.NoncurrentVersionExpiration)?.NoncurrentVersionExpiration, id).toEqual({
        NoncurrentDays: noncurrent,
      });
      const transitions = rules.flatMap((r) => r.Transitions ?? []);
      if (zone === 'Bronze')
        expect(transitions).toEqual([
          {
            StorageClass: 'STANDARD_IA',
            TransitionInDays: Number(param(stage, 'bronzeInfrequentAccessDays')),
          },
          { StorageClass: 'GLACIER_IR', TransitionInDays: Number(param(stage, 'bronzeGlacierDays')) },
        ]);
      else expect(transitions, id).toEqual([]);
    }
    const logs = t().Resources.LogsBucket!.Properties;
    // S3 server access logging cannot deliver to an SSE-KMS bucket.
    expect(logs.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(logs.LifecycleConfiguration.Rules.find((r: Json) => r.ExpirationInDays)?.ExpirationInDays).toBe(
      Number(param(stage, 'accessLogRetentionDays')),
    );
    expect(logs.LoggingConfiguration, 'the logs bucket does not log into itself').toBeUndefined();
  });

  it('records the data events of every zone in CloudTrail', () => {
    const [[, trail]] = ofType(t(), 'AWS::CloudTrail::Trail') as [[string, Json]];
    expect(trail.Properties).toMatchObject({
      IsLogging: true,
      EnableLogFileValidation: true,
      S3BucketName: { Ref: 'LogsBucket' },
    });
    const [selector] = trail.Properties.EventSelectors;
    expect(selector.ReadWriteType).toBe('All');
    expect(selector.DataResources).toEqual([
      { Type: 'AWS::S3::Object', Values: ZONES.map((z) => ({ 'Fn::Sub': `\${${z}Bucket.Arn}/` })) },
    ]);
  });

  it('registers Silver and Gold with Lake Formation and grants the analysts every column but the pii ones', () => {
    for (const zone of ['Silver', 'Gold']) {
      expect(t().Resources[`${zone}LakeLocation`]?.Properties).toEqual({
        ResourceArn: getAtt(`${zone}Bucket`),
        UseServiceLinkedRole: false,
        RoleArn: getAtt('LakeFormationDataAccessRole'),
      });
    }
    const grants = ofType(t(), 'AWS::LakeFormation::PrincipalPermissions').map(([, g]) => g as Json);
    for (const g of grants)
      expect(g.Properties.Principal).toEqual({ DataLakePrincipalIdentifier: getAtt('AnalystRole') });
    const silver = grants.filter((g) => g.Properties.Resource.TableWithColumns);
    expect(silver.map((g) => g.Properties.Resource.TableWithColumns.Name).sort()).toEqual(
      CONTRACTS.map((c) => c.name).sort(),
    );
    for (const c of CONTRACTS) {
      const g = silver.find((x) => x.Properties.Resource.TableWithColumns.Name === c.name);
      const pii = c.columns.filter((col) => col.pii).map((col) => col.name);
      expect(g.Properties.Resource.TableWithColumns.ColumnWildcard, c.name).toEqual({
        ExcludedColumnNames: pii,
      });
      expect(g.Properties.Permissions, c.name).toEqual(['SELECT']);
      expect(g.Condition, c.name).toBe('LakeFormationTableGrants');
      for (const gold of c.gold) {
        const granted = grants.find((x) => x.Properties.Resource.Table?.Name === gold.name);
        const namesPii = pii.some((col) => new RegExp(`\\b${col}\\b`, 'i').test(gold.sql));
        expect(Boolean(granted), `gold ${gold.name}`).toBe(!namesPii);
      }
    }
    expect(
      CONTRACTS.some((c) => c.columns.some((col) => col.pii)),
      'a contract flags pii',
    ).toBe(true);
    // Only prod has its Silver tables already: the table grants are on there, off elsewhere.
    expect(condition(t(), 'LakeFormationTableGrants')).toBe(
      param(stage, 'lakeFormationTableGrants') === 'true',
    );
  });

  it('pages through one alerts topic: iterator age, failed loads, every failed-event queue; a budget on the stage tag', () => {
    const alarms = ofType(t(), 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties as Json);
    for (const a of alarms) expect(a.AlarmActions, a.AlarmName).toEqual([{ Ref: 'AlertsTopic' }]);
    const queues = ofType(t(), 'AWS::SQS::Queue').map(([id]) => id);
    expect(queues.length).toBe(7);
    for (const q of queues)
      expect(
        alarms.some((a) => a.Dimensions?.[0]?.Value?.['Fn::GetAtt']?.[0] === q),
        `alarm on ${q}`,
      ).toBe(true);
    const age = alarms.find((a) => a.MetricName === 'IteratorAge');
    expect(age.Threshold).toBe(Number(param(stage, 'iteratorAgeAlarmMs')));
    expect(age.Dimensions).toEqual([{ Name: 'FunctionName', Value: `lakeplane-${stage}-stream-upsert` }]);
    expect(
      alarms
        .filter((a) => a.Namespace === 'AWS/States')
        .map((a) => a.MetricName)
        .sort(),
    ).toEqual(['ExecutionsFailed', 'ExecutionsTimedOut']);
    const [[, budget]] = ofType(t(), 'AWS::Budgets::Budget') as [[string, Json]];
    expect(budget.Properties.Budget.BudgetLimit).toEqual({
      Amount: Number(param(stage, 'monthlyBudgetUsd')),
      Unit: 'USD',
    });
    expect(budget.Properties.Budget.CostFilters).toEqual({ TagKeyValue: [`user:stage$${stage}`] });
    expect(budget.Properties.NotificationsWithSubscribers.map((n: Json) => n.Subscribers)).toEqual([
      [{ SubscriptionType: 'SNS', Address: { Ref: 'AlertsTopic' } }],
      [{ SubscriptionType: 'SNS', Address: { Ref: 'AlertsTopic' } }],
    ]);
    const dashboard = JSON.parse(t().Resources.OperationsDashboard!.Properties.DashboardBody['Fn::Sub']);
    expect(dashboard.widgets.map((w: Json) => w.properties.title)).toEqual([
      'Stream iterator age (ms)',
      'Load durations (ms, p50 / p95 by dataset)',
      'Loads succeeded / failed / timed out',
      'Quality verdicts',
      'Schema drift',
      'Failed-event queues (messages waiting)',
    ]);
  });
});

describe('what differs between stages', () => {
  it('reads retention, protection, alarms, budget, cluster and replication from the stage parameters', () => {
    const row = (stage: Stage) => {
      const t = templates[stage];
      return {
        ledgerProtection: t.Resources.LedgerTable!.Properties.DeletionProtectionEnabled,
        streamHours: t.Resources.EventsStream!.Properties.RetentionPeriodHours,
        noncurrentDays: t.Resources.SilverBucket!.Properties.LifecycleConfiguration.Rules.find(
          (r: Json) => r.NoncurrentVersionExpiration,
        ).NoncurrentVersionExpiration.NoncurrentDays,
        budget: ofType(t, 'AWS::Budgets::Budget')[0]![1].Properties.Budget.BudgetLimit.Amount,
        replicate: condition(t, 'ReplicateToDr'),
        tableGrants: condition(t, 'LakeFormationTableGrants'),
        cluster: Object.values(t.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!.Properties
          .Environment.Variables.EMR_CLUSTER_ID,
        stepHours: Object.values(t.Resources).find(
          (r) =>
            r.Type === 'AWS::Lambda::Function' &&
            r.Properties.FunctionName === `lakeplane-${stage}-budget-guard`,
        )!.Properties.Environment.Variables.EMR_STEP_HOURS_PER_DATASET_PER_DAY,
      };
    };
    expect(row('sandbox')).toEqual({
      ledgerProtection: false,
      streamHours: 24,
      noncurrentDays: 7,
      budget: 50,
      replicate: false,
      tableGrants: false,
      cluster: 'j-SANDBOX0000000',
      stepHours: '2',
    });
    expect(row('staging')).toMatchObject({
      noncurrentDays: 14,
      budget: 200,
      replicate: false,
      cluster: 'j-STAGING0000000',
    });
    expect(row('prod')).toEqual({
      ledgerProtection: true,
      streamHours: 168,
      noncurrentDays: 90,
      budget: 2000,
      replicate: true,
      tableGrants: true,
      cluster: 'j-PROD000000000',
      stepHours: '12',
    });
    // Nothing account-specific is written into any stage: accounts come from the pseudo parameters.
    for (const stage of STAGES) expect(JSON.stringify(templates[stage])).not.toMatch(/\b\d{12}\b/);
  });

  it('replicates prod Silver and Gold to the buckets and key that dr/dr-stack.yml creates', () => {
    const dr = readFileSync(join(ROOT, 'dr/dr-stack.yml'), 'utf8');
    const drRegion = param('prod', 'drRegion');
    for (const zone of ['Silver', 'Gold']) {
      const r = templates.prod.Resources[`${zone}Bucket`]!.Properties.ReplicationConfiguration['Fn::If'];
      expect(r[0]).toBe('ReplicateToDr');
      expect(r[2]).toEqual({ Ref: 'AWS::NoValue' });
      const [rule] = r[1].Rules;
      expect(rule.Destination.Bucket['Fn::Sub']).toBe(
        `arn:\${AWS::Partition}:s3:::lakeplane-prod-${zone.toLowerCase()}-replica-\${AWS::AccountId}-${drRegion}`,
      );
      expect(rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID['Fn::Sub']).toBe(
        `arn:\${AWS::Partition}:kms:${drRegion}:\${AWS::AccountId}:alias/lakeplane-prod-dr`,
      );
      expect(rule.SourceSelectionCriteria).toEqual({ SseKmsEncryptedObjects: { Status: 'Enabled' } });
      // The DR stack names its buckets and key alias the same way (Stage = prod, in drRegion).
      expect(dr).toContain(
        `BucketName: !Sub lakeplane-\${Stage}-${zone.toLowerCase()}-replica-\${AWS::AccountId}-\${AWS::Region}`,
      );
    }
    expect(dr).toContain(`AliasName: !Sub alias/lakeplane-\${Stage}-dr`);
    expect(templates.prod.Resources.ReplicationRole).toMatchObject({ Condition: 'ReplicateToDr' });
  });

  it('ships the EMR configuration that exposes Spark metrics to Prometheus', () => {
    const conf = JSON.parse(readFileSync(join(ROOT, 'emr/configurations.json'), 'utf8')) as Json[];
    const metrics = conf.find((c) => c.Classification === 'spark-metrics').Properties;
    expect(metrics['*.sink.prometheusServlet.class']).toBe('org.apache.spark.metrics.sink.PrometheusServlet');
    expect(
      conf.find((c) => c.Classification === 'spark-defaults').Properties['spark.ui.prometheus.enabled'],
    ).toBe('true');
  });
});

describe('schema lint of the templates (offline, @aws/cloudformation-validate)', () => {
  let lint: SchemaLint;
  beforeAll(() => {
    lint = new SchemaLint();
  }, 60_000);
  afterAll(() => lint?.close());

  it.each(STAGES)('the packaged %s stack has no schema problem', (stage) => {
    expect(lint.lint(templates[stage])).toEqual([]);
  });

  it('the DR stack has no schema problem', () => {
    expect(lint.lint(readFileSync(join(ROOT, 'dr/dr-stack.yml'), 'utf8'), 'dr-stack.yml')).toEqual([]);
  });

  it('fails on a broken property: unknown name, wrong type, missing required, value outside its enum', () => {
    const broken = (change: (t: Json) => void) => {
      const t = structuredClone(templates.prod) as Json;
      change(t);
      return lint.lint(t).map((p) => `${p.rule} ${p.resource} ${p.path ?? ''}`);
    };
    expect(
      broken((t) => {
        t.Resources.BronzeBucket.Properties.VersioningConfigurations = { Status: 'Enabled' };
      }),
    ).toEqual([expect.stringMatching(/^[EF]\d+ BronzeBucket Properties(\.VersioningConfigurations)?$/)]);
    expect(
      broken((t) => {
        t.Resources.LakeKey.Properties.EnableKeyRotation = { yes: true };
      }),
    ).toEqual([expect.stringMatching(/^[EF]\d+ LakeKey Properties\.EnableKeyRotation$/)]);
    expect(
      broken((t) => {
        delete t.Resources.LakeDataTrail.Properties.S3BucketName;
      }),
    ).toEqual([expect.stringMatching(/^[EF]\d+ LakeDataTrail /)]);
    expect(
      broken((t) => {
        t.Resources.SilverBucket.Properties.VersioningConfiguration.Status = 'Enabledd';
      }),
    ).toEqual(['W3030 SilverBucket Properties.VersioningConfiguration.Status']);
  });
});
