import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactsBucketOf, emrClusterRequest, emrParams } from '../../scripts/emr-cluster.js';
import {
  type ClusterCheckInputs,
  clusterProblems,
  pythonImports,
  pythonStringDict,
  readClusterCheckInputs,
  thirdPartyImports,
} from '../../scripts/emr-cluster-check.js';
import { PYTHON_STDLIB_MODULES } from '../../scripts/python-stdlib.js';
import { REPO_ROOT, stageParams } from '../../scripts/stage-params.js';

const target = (stage: string) => ({
  stage,
  account: '111122223333',
  region: 'eu-west-1',
  subnetId: 'subnet-0abc',
});

describe('the EMR cluster of a stage (npm run emr-cluster)', () => {
  it('takes scaling limits, idle termination and instance types from the stage parameters', () => {
    const sandbox = emrClusterRequest(emrParams.parse(stageParams('sandbox')), target('sandbox'));
    expect(sandbox).toMatchObject({
      Name: 'lakeplane-sandbox',
      ReleaseLabel: 'emr-7.12.0',
      ManagedScalingPolicy: {
        ComputeLimits: {
          UnitType: 'Instances',
          MinimumCapacityUnits: 2,
          MaximumCapacityUnits: 3,
          MaximumOnDemandCapacityUnits: 1,
          MaximumCoreCapacityUnits: 2,
        },
      },
      AutoTerminationPolicy: { IdleTimeout: 3600 },
      StepConcurrencyLevel: 4,
      Tags: [
        { Key: 'project', Value: 'lakeplane' },
        { Key: 'stage', Value: 'sandbox' },
      ],
      LogUri: 's3://lakeplane-sandbox-artifacts-111122223333-eu-west-1/emr-logs/',
    });
    const groups = (sandbox.Instances as { InstanceGroups: { InstanceType: string }[] }).InstanceGroups;
    expect(groups.map((g) => g.InstanceType)).toEqual(['m7g.xlarge', 'm7g.xlarge']);

    const prod = emrClusterRequest(emrParams.parse(stageParams('prod')), target('prod'));
    expect(prod).toMatchObject({
      ManagedScalingPolicy: {
        ComputeLimits: { MinimumCapacityUnits: 3, MaximumCapacityUnits: 21, MaximumCoreCapacityUnits: 20 },
      },
    });
    // prod: loads arrive all day, so no idle termination.
    expect(prod.AutoTerminationPolicy).toBeUndefined();
    // emr/configurations.json as it is (Glue metastore, Hudi, PYSPARK_PYTHON, Prometheus).
    expect(prod.Configurations).toEqual(
      JSON.parse(readFileSync(join(REPO_ROOT, 'emr/configurations.json'), 'utf8')),
    );
  });

  it('refuses limits that contradict each other', () => {
    const p = emrParams.parse(stageParams('staging'));
    expect(() =>
      emrClusterRequest({ ...p, emrMaxCoreInstances: 0 + 1, emrMinCoreInstances: 3 }, target('staging')),
    ).toThrow('emrMaxCoreInstances (1) is below emrMinCoreInstances (3)');
    expect(() => emrClusterRequest({ ...p, emrIdleTimeoutSeconds: 30 }, target('staging'))).toThrow(
      /at least 60/,
    );
    expect(emrParams.safeParse({ ...p, emrReleaseLabel: '7.12' }).success).toBe(false);
    expect(emrParams.safeParse({ ...p, emrStepConcurrency: 0 }).success).toBe(false);
    expect(emrParams.safeParse({ ...p, emrStepConcurrency: 257 }).success).toBe(false);
  });
});

describe('the cluster carries what the Spark jobs import and read', () => {
  const stageTarget = target('staging');
  const request = () => emrClusterRequest(emrParams.parse(stageParams('staging')), stageTarget);
  const bucket = artifactsBucketOf(stageTarget);
  const inputs = (): ClusterCheckInputs => readClusterCheckInputs(REPO_ROOT, request(), bucket);
  /** A copy of the request with one classification's properties changed. */
  const withProperties = (
    r: Record<string, unknown>,
    name: string,
    change: (p: Record<string, string>) => Record<string, string>,
  ) => ({
    ...r,
    Configurations: (
      r.Configurations as { Classification: string; Properties: Record<string, string> }[]
    ).map((c) => (c.Classification === name ? { ...c, Properties: change({ ...c.Properties }) } : c)),
  });

  it.each(['sandbox', 'staging', 'prod'])('%s: nothing is missing', (stage) => {
    const t = target(stage);
    const r = emrClusterRequest(emrParams.parse(stageParams(stage)), t);
    expect(clusterProblems(readClusterCheckInputs(REPO_ROOT, r, artifactsBucketOf(t)))).toEqual([]);
    expect(r.BootstrapActions).toEqual([
      {
        Name: 'install-python-packages',
        ScriptBootstrapAction: {
          Path: `s3://lakeplane-${stage}-artifacts-111122223333-eu-west-1/bootstrap/install-python-packages.sh`,
          Args: [
            `s3://lakeplane-${stage}-artifacts-111122223333-eu-west-1/bootstrap/requirements-cluster.txt`,
          ],
        },
      },
    ]);
  });

  it('finds the third-party modules the jobs import: great_expectations (validate) and boto3 (stage)', () => {
    const needed = thirdPartyImports(inputs().jobSources);
    expect([...needed.keys()]).toEqual(['boto3', 'great_expectations']);
    expect(needed.get('great_expectations')).toEqual(['spark-jobs/lakeplane_jobs/validate_job.py']);
    expect(needed.get('boto3')).toEqual(['spark-jobs/lakeplane_jobs/spark_io.py']);
    // A script beside the jobs is theirs (spark-jobs/ is on the path of its siblings), not a package to install.
    const beside = thirdPartyImports([
      { path: 'spark-jobs/runner_tool.py', text: 'import build_zip\nimport yaml\n' },
      { path: 'spark-jobs/build_zip.py', text: 'import zipfile\n' },
    ]);
    expect([...beside.keys()]).toEqual(['yaml']);
  });

  it('reads imports at any indentation, dotted and aliased, and skips relative ones and prose', () => {
    const text = [
      'import re, os.path as p',
      'from __future__ import annotations',
      'def f():',
      '    import great_expectations as gx',
      '        from great_expectations.core.run_identifier import RunIdentifier',
      'from . import avro',
      'from .cli import JobArgs',
      'from it) with fixed timestamps, so the same sources give the same bytes.',
      '"""import this is a sentence"""',
    ].join('\n');
    expect(pythonImports(text)).toEqual(['__future__', 'great_expectations', 'os', 're']);
  });

  it('names a module whose pin is missing from requirements-cluster.txt', () => {
    const i = inputs();
    const withoutGx = i.requirements!.replace(/^great-expectations==.*$/m, '');
    expect(clusterProblems({ ...i, requirements: withoutGx })).toEqual([
      'spark-jobs/lakeplane_jobs/validate_job.py imports great_expectations, but spark-jobs/requirements-cluster.txt has no exact pin great-expectations==<version> for the bootstrap action to install',
    ]);
    // A range is not a pin.
    const ranged = i.requirements!.replace(/^boto3==.*$/m, 'boto3>=1.40');
    expect(clusterProblems({ ...i, requirements: ranged })).toEqual([
      'spark-jobs/lakeplane_jobs/spark_io.py imports boto3, but spark-jobs/requirements-cluster.txt has no exact pin boto3==<version> for the bootstrap action to install',
    ]);
    // A new import the list does not cover.
    const sources = [
      ...i.jobSources,
      { path: 'spark-jobs/lakeplane_jobs/new_job.py', text: '    import yaml\n' },
    ];
    expect(clusterProblems({ ...i, jobSources: sources })).toEqual([
      'spark-jobs/lakeplane_jobs/new_job.py imports yaml, but spark-jobs/requirements-cluster.txt has no exact pin yaml==<version> for the bootstrap action to install',
      'emr/bootstrap/install-python-packages.sh does not check that yaml imports after installing it',
    ]);
  });

  it('names a bootstrap action outside the artifacts bucket and a script that does not install -r', () => {
    const i = inputs();
    const elsewhere = {
      ...i.request,
      BootstrapActions: [{ Name: 'x', ScriptBootstrapAction: { Path: 's3://other-bucket/install.sh' } }],
    };
    expect(clusterProblems({ ...i, request: elsewhere })).toEqual([
      `no bootstrap action runs s3://${bucket}/bootstrap/install-python-packages.sh (bootstrap actions: s3://other-bucket/install.sh)`,
    ]);
    const script = i.bootstrapScript!;
    expect(clusterProblems({ ...i, bootstrapScript: script.replace(/ -r "\$WORK/, ' "$WORK') })).toEqual([
      'emr/bootstrap/install-python-packages.sh does not install the requirements with python3 -m pip install -r',
    ]);
    expect(clusterProblems({ ...i, bootstrapScript: script.replace('set -euo pipefail', 'set -u') })).toEqual(
      ['emr/bootstrap/install-python-packages.sh does not fail loudly (set -euo pipefail)'],
    );
    expect(clusterProblems({ ...i, bootstrapScript: undefined })).toEqual([
      'emr/bootstrap/install-python-packages.sh is missing',
    ]);
  });

  it('names a missing Glue metastore client and a Hudi setting spark-defaults does not carry', () => {
    const i = inputs();
    const noGlue = withProperties(i.request, 'hive-site', () => ({}));
    expect(clusterProblems({ ...i, request: noGlue })).toEqual([
      'hive-site does not set hive.metastore.client.factory.class=com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory',
    ]);
    const noRegistrar = withProperties(i.request, 'spark-defaults', (p) => {
      delete p['spark.kryo.registrator'];
      return p;
    });
    expect(clusterProblems({ ...i, request: noRegistrar })).toEqual([
      'spark-defaults sets spark.kryo.registrator=(nothing), but the jobs use org.apache.spark.HoodieSparkKryoRegistrar (lakeplane_jobs/hudi.py HUDI_SPARK_CONF)',
    ]);
    const otherJar = withProperties(i.request, 'spark-defaults', (p) => ({
      ...p,
      'spark.jars': '/tmp/hudi.jar',
    }));
    expect(clusterProblems({ ...i, request: otherJar })).toEqual([
      'spark-defaults spark.jars (/tmp/hudi.jar) does not hold /usr/lib/hudi/hudi-spark-bundle.jar (plan.ts HUDI_BUNDLE)',
    ]);
    // The checker reads every key of HUDI_SPARK_CONF from hudi.py, not a copy of it.
    expect(Object.keys(pythonStringDict(i.hudiModule, 'HUDI_SPARK_CONF'))).toEqual([
      'spark.serializer',
      'spark.kryo.registrator',
      'spark.sql.extensions',
      'spark.sql.catalog.spark_catalog',
    ]);
    const noHive = { ...i.request, Applications: [{ Name: 'Hadoop' }, { Name: 'Spark' }] };
    expect(clusterProblems({ ...i, request: noHive })).toEqual([
      'hive-site is configured, but Hive is not among the Applications',
    ]);
  });

  it('lists every standard module of the local python3 (when it has sys.stdlib_module_names)', () => {
    const run = spawnSync(
      'python3',
      ['-c', 'import sys; print("\\n".join(sorted(getattr(sys, "stdlib_module_names", []))))'],
      {
        encoding: 'utf8',
      },
    );
    const local =
      run.status === 0 ? run.stdout.split('\n').filter((n) => n !== '' && !n.startsWith('_')) : [];
    expect(local.filter((n) => !PYTHON_STDLIB_MODULES.has(n))).toEqual([]);
  });
});
