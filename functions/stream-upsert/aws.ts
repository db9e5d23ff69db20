import { S3Client } from '@aws-sdk/client-s3';
import { lambdaContracts } from '../../shared/aws/lambda-contracts.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { readStreamEnvironment } from '../../shared/config.js';
import { compileChecks } from '../../shared/core/stream/micro-batch.js';
import type { ObjectStore } from '../../shared/ports.js';
import type { StreamUpsertDeps } from '../../shared/usecases/stream-upsert.js';
import { createObservability } from '../observability.js';
import type { StreamUpsertHandlerDeps } from './handler.js';

/** The function's dependencies in AWS: created once per container, record checks compiled once. */
export function awsDeps(): StreamUpsertHandlerDeps {
  return {
    ...createObservability('stream-upsert'),
    ...streamUpsertDeps(new S3ObjectStore(new S3Client({}))),
  };
}

/** What writes a stream batch to Bronze (stream-upsert, and the reconciler's redrive of a discarded batch). */
export function streamUpsertDeps(objects: ObjectStore): StreamUpsertDeps {
  const env = readStreamEnvironment();
  const contracts = lambdaContracts(env.LAKEPLANE_DATASETS_DIR);
  return {
    objects,
    config: {
      datasets: contracts.datasets,
      routing: {
        ...(env.STREAM_DATASET_FIELD ? { datasetField: env.STREAM_DATASET_FIELD } : {}),
        ...(env.STREAM_PARTITION_KEY_DELIMITER
          ? { partitionKeyDelimiter: env.STREAM_PARTITION_KEY_DELIMITER }
          : {}),
        ...(env.STREAM_DEFAULT_DATASET ? { defaultDataset: env.STREAM_DEFAULT_DATASET } : {}),
      },
      bronzeBucket: env.BRONZE_BUCKET,
      quarantineBucket: env.QUARANTINE_BUCKET,
      ...(env.STREAM_MAX_RECORD_BYTES ? { maxRecordBytes: env.STREAM_MAX_RECORD_BYTES } : {}),
    },
    checks: compileChecks(contracts.datasets),
  };
}
