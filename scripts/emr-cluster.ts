/**
 * The EMR cluster a stage's loads run on, as an `aws emr create-cluster --cli-input-json` request
 * built from the stage parameters of serverless.yml: release, instance types, managed scaling
 * limits, idle auto-termination, one step at a time, the stage tags (so AWS Budgets sees its
 * cost) and emr/configurations.json (Spark metrics for Prometheus, Hudi SQL extensions).
 *
 *   npm run emr-cluster -- --stage prod --account 111122223333 --region eu-west-1 --subnet subnet-0abc > cluster.json
 *   aws emr create-cluster --cli-input-json file://cluster.json
 *
 * Then set params.<stage>.emrClusterId to the new cluster's id and deploy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { REPO_ROOT, stageParams } from './stage-params.js';

/** The EMR parameters of a stage (serverless.yml params), checked. */
export const emrParams = z.object({
  emrReleaseLabel: z.string().regex(/^emr-\d+\.\d+\.\d+$/),
  emrPrimaryInstanceType: z.string().min(1),
  emrCoreInstanceType: z.string().min(1),
  emrMinCoreInstances: z.coerce.number().int().min(1),
  emrMaxCoreInstances: z.coerce.number().int().min(1),
  emrMaxOnDemandInstances: z.coerce.number().int().min(1),
  /** Seconds without a step before the cluster terminates itself; 0: never. */
  emrIdleTimeoutSeconds: z.coerce.number().int().min(0).max(604_800),
});
export type EmrParams = z.infer<typeof emrParams>;

export interface ClusterTarget {
  readonly stage: string;
  readonly account: string;
  readonly region: string;
  readonly subnetId: string;
}

export function emrClusterRequest(p: EmrParams, target: ClusterTarget): Record<string, unknown> {
  if (p.emrMaxCoreInstances < p.emrMinCoreInstances)
    throw new Error(
      `emrMaxCoreInstances (${p.emrMaxCoreInstances}) is below emrMinCoreInstances (${p.emrMinCoreInstances})`,
    );
  if (p.emrIdleTimeoutSeconds > 0 && p.emrIdleTimeoutSeconds < 60)
    throw new Error('emrIdleTimeoutSeconds must be 0 (never) or at least 60');
  const configurations = JSON.parse(
    readFileSync(join(REPO_ROOT, 'emr/configurations.json'), 'utf8'),
  ) as unknown;
  const primaryAndCore = 1 + p.emrMaxCoreInstances;
  return {
    Name: `lakeplane-${target.stage}`,
    ReleaseLabel: p.emrReleaseLabel,
    Applications: [{ Name: 'Hadoop' }, { Name: 'Spark' }],
    LogUri: `s3://lakeplane-${target.stage}-artifacts-${target.account}-${target.region}/emr-logs/`,
    Instances: {
      InstanceGroups: [
        { Name: 'primary', InstanceRole: 'MASTER', InstanceType: p.emrPrimaryInstanceType, InstanceCount: 1 },
        {
          Name: 'core',
          InstanceRole: 'CORE',
          InstanceType: p.emrCoreInstanceType,
          InstanceCount: p.emrMinCoreInstances,
        },
      ],
      Ec2SubnetId: target.subnetId,
      KeepJobFlowAliveWhenNoSteps: true,
      TerminationProtected: false,
    },
    ManagedScalingPolicy: {
      ComputeLimits: {
        UnitType: 'Instances',
        MinimumCapacityUnits: 1 + p.emrMinCoreInstances,
        MaximumCapacityUnits: primaryAndCore,
        MaximumOnDemandCapacityUnits: Math.min(p.emrMaxOnDemandInstances, primaryAndCore),
        MaximumCoreCapacityUnits: p.emrMaxCoreInstances,
      },
    },
    ...(p.emrIdleTimeoutSeconds > 0
      ? { AutoTerminationPolicy: { IdleTimeout: p.emrIdleTimeoutSeconds } }
      : {}),
    // Steps queue one at a time, as the local runtime runs them (local/emr/local-emr.ts).
    StepConcurrencyLevel: 1,
    Configurations: configurations,
    ServiceRole: 'EMR_DefaultRole_V2',
    JobFlowRole: 'EMR_EC2_DefaultRole',
    VisibleToAllUsers: true,
    Tags: [
      { Key: 'project', Value: 'lakeplane' },
      { Key: 'stage', Value: target.stage },
    ],
  };
}

const cliInput = z.object({
  stage: z.string().regex(/^[a-z][a-z0-9-]{0,15}$/, 'a stage name (lower case, at most 16 characters)'),
  account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. eu-west-1'),
  subnet: z.string().regex(/^subnet-[0-9a-f]+$/, 'a subnet id, e.g. subnet-0abc1234'),
});

function main(): void {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      account: { type: 'string' },
      region: { type: 'string' },
      subnet: { type: 'string' },
    },
  });
  const input = cliInput.safeParse(values);
  if (!input.success) {
    process.stderr.write(
      `emr-cluster: ${input.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\nusage: npm run emr-cluster -- --stage <s> --account <id> --region <r> --subnet <subnet-id>\n`,
    );
    process.exitCode = 2;
    return;
  }
  const o = input.data;
  const params = emrParams.parse(stageParams(o.stage));
  const request = emrClusterRequest(params, {
    stage: o.stage,
    account: o.account,
    region: o.region,
    subnetId: o.subnet,
  });
  process.stdout.write(`${JSON.stringify(request, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
