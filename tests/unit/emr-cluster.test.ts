import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emrClusterRequest, emrParams } from '../../scripts/emr-cluster.js';
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
      StepConcurrencyLevel: 1,
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
    // The Prometheus and Hudi settings of emr/configurations.json, as they are.
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
  });
});
