/**
 * The EMR cluster a stage's loads run on, as an `aws emr create-cluster --cli-input-json` request
 * built from the stage parameters of serverless.yml: release, instance types, managed scaling
 * limits, idle auto-termination, one step at a time, the stage tags (so AWS Budgets sees its
 * cost), Hadoop, Hive and Spark (EMR installs Hudi with Spark), the bootstrap action that installs
 * the jobs' Python packages (emr/bootstrap/install-python-packages.sh with
 * spark-jobs/requirements-cluster.txt, both under bootstrap/ in the stage's artifacts bucket) and
 * emr/configurations.json (Glue Data Catalog as the Hive metastore, the Hudi bundle and Spark
 * settings, PYSPARK_PYTHON, Spark metrics for Prometheus).
 *
 *   npm run emr-cluster -- --stage prod --account 111122223333 --region eu-west-1 --subnet subnet-0abc > cluster.json
 *   aws emr create-cluster --cli-input-json file://cluster.json
 *
 * Before printing, the request is checked against what the jobs import and read
 * (scripts/emr-cluster-check.ts); a gap is an error naming it. Then set
 * params.<stage>.emrClusterId to the new cluster's id and deploy.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { BOOTSTRAP_PREFIX, clusterProblems, readClusterCheckInputs } from './emr-cluster-check.js';
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
  /**
   * EMR steps the cluster runs at once (1-256). Datasets load in parallel; one dataset's loads
   * stay in order because the scheduler keeps at most one of its loads in flight.
   */
  emrStepConcurrency: z.coerce.number().int().min(1).max(256),
});
export type EmrParams = z.infer<typeof emrParams>;

export interface ClusterTarget {
  readonly stage: string;
  readonly account: string;
  readonly region: string;
  readonly subnetId: string;
}

/** The stage's artifacts bucket (serverless.yml names it so). */
export function artifactsBucketOf(target: ClusterTarget): string {
  return `lakeplane-${target.stage}-artifacts-${target.account}-${target.region}`;
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
  const bootstrap = `s3://${artifactsBucketOf(target)}/${BOOTSTRAP_PREFIX}`;
  return {
    Name: `lakeplane-${target.stage}`,
    ReleaseLabel: p.emrReleaseLabel,
    // EMR installs Hudi (/usr/lib/hudi) with Spark; Hive for the hive-site classification (Glue).
    Applications: [{ Name: 'Hadoop' }, { Name: 'Hive' }, { Name: 'Spark' }],
    LogUri: `s3://${artifactsBucketOf(target)}/emr-logs/`,
    // On every node, before the applications: the jobs' pinned Python packages (a failure fails the node).
    BootstrapActions: [
      {
        Name: 'install-python-packages',
        ScriptBootstrapAction: {
          Path: `${bootstrap}install-python-packages.sh`,
          Args: [`${bootstrap}requirements-cluster.txt`],
        },
      },
    ],
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
    // Datasets' steps run side by side; one load of a dataset is in flight at a time (the
    // coalesced-load scheduler), so a dataset's own steps still run one after the other.
    StepConcurrencyLevel: p.emrStepConcurrency,
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
  const target = { stage: o.stage, account: o.account, region: o.region, subnetId: o.subnet };
  const request = emrClusterRequest(params, target);
  const problems = clusterProblems(readClusterCheckInputs(REPO_ROOT, request, artifactsBucketOf(target)));
  if (problems.length > 0) {
    process.stderr.write(
      `emr-cluster: the request does not give the Spark jobs what they need:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${JSON.stringify(request, null, 2)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
