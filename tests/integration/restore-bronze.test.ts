/**
 * Restoring a Bronze object version: locally through the folder store with the whole event path
 * running, and the S3 adapter's CopyObject contract with aws-sdk-client-mock.
 */
import { CopyObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { S3ObjectStore } from '../../shared/aws/s3-object-store.js';
import { restoreBronze } from '../../shared/usecases/restore-bronze.js';
import { resumeDataset } from '../../shared/usecases/resume-dataset.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { executions, startRuntime } from '../helpers/runtime.js';
import { OFFLINE } from '../helpers/stage.js';

let rt: LocalRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

describe('bronze restore on the local runtime', () => {
  it("makes a load's object version current again; the copy starts no new load", async () => {
    ({ rt } = await startRuntime());
    const first = await rt.land(
      'orders',
      ndjson(tempDir(), 'day.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    // A later file under the same key overwrites it.
    await rt.land('orders', ndjson(tempDir(), 'day.ndjson', [order('o2', '2026-11-20T11:00:00Z')]));
    await rt.idle();
    const load = (await rt.ledger.get(first.loadId!))!;
    const { bucket, key, versionId } = load.source;
    expect(bucket).toBe(LOCAL_LAYOUT.bronzeBucket);
    const current = () => rt!.store.get(bucket, key).then((b) => Buffer.from(b!).toString('utf8'));
    expect(await current()).toContain('"o2"');
    const started = executions(rt).length;

    expect(
      await restoreBronze(first.loadId!, { ledger: rt.ledger, store: rt.store }, { dryRun: true }),
    ).toEqual({
      outcome: 'would-restore',
      loadId: first.loadId,
      objects: [{ from: `s3://${bucket}/${key} version ${versionId}` }],
    });
    expect(await current()).toContain('"o2"');

    const restored = await restoreBronze(first.loadId!, { ledger: rt.ledger, store: rt.store });
    await rt.idle();
    expect(restored).toMatchObject({ outcome: 'restored', objects: [{ restored: { bucket, key } }] });
    expect(await current()).toContain('"o1"');
    expect(Buffer.from((await rt.store.get(bucket, key, versionId))!).toString('utf8')).toBe(await current());
    expect(executions(rt).length, 'the same content is the same load: nothing starts').toBe(started);

    expect(await restoreBronze('orders-nope', { ledger: rt.ledger, store: rt.store })).toEqual({
      outcome: 'refused',
      reason: 'no load orders-nope; list loads with `lakeplane loads`',
    });
  });
});

describe('bronze restore of a coalesced load', () => {
  it('makes every object version of its manifest current again; the copies start nothing', async () => {
    ({ rt } = await startRuntime());
    const dir = tempDir();
    // Two files land while the dataset is paused: on resume, one load takes both.
    await rt.control.pause('orders', 'a source change', 'oncall');
    const a = await rt.land('orders', ndjson(dir, 'a.ndjson', [order('o1', '2026-11-20T10:00:00Z')]));
    const b = await rt.land('orders', ndjson(dir, 'b.ndjson', [order('o2', '2026-11-20T10:00:00Z')]));
    await resumeDataset(
      'orders',
      { ...rt.replayDeps, control: rt.control, scheduler: rt.scheduler },
      { by: 'oncall' },
    );
    await rt.idle();
    const loadId = (await rt.loadOf('orders', a))!;
    expect(await rt.loadOf('orders', b)).toBe(loadId);
    // Later files overwrite both keys.
    const later = tempDir();
    await rt.land(
      'orders',
      ndjson(later, 'a.ndjson', [order('o1', '2026-11-20T11:00:00Z', { status: 'paid' })]),
      a.key,
    );
    await rt.land(
      'orders',
      ndjson(later, 'b.ndjson', [order('o2', '2026-11-20T11:00:00Z', { status: 'paid' })]),
      b.key,
    );
    await rt.idle();
    const started = executions(rt).length;

    const restored = await restoreBronze(loadId, { ledger: rt.ledger, store: rt.store });
    await rt.idle();
    expect(restored.outcome === 'restored' && restored.objects.map((o) => o.from)).toEqual([
      `s3://${a.bucket}/${a.key} version ${a.versionId}`,
      `s3://${b.bucket}/${b.key} version ${b.versionId}`,
    ]);
    for (const o of [a, b])
      expect(Buffer.from((await rt!.store.get(o.bucket, o.key))!).toString('utf8')).toBe(
        Buffer.from((await rt!.store.get(o.bucket, o.key, o.versionId))!).toString('utf8'),
      );
    expect(executions(rt).length, 'the same content again adds nothing').toBe(started);
  });
});

describe('S3ObjectStore.restoreVersion', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  it('copies the version onto its own key (key URL-encoded) and returns the new version', async () => {
    s3.on(CopyObjectCommand).resolves({ VersionId: 'v-new', CopyObjectResult: { ETag: '"abc"' } });
    const store = new S3ObjectStore(new S3Client(OFFLINE));
    const info = await store.restoreVersion('lake-bronze', 'orders/2026 11/a+b.ndjson', 'v/1');
    expect(s3.commandCalls(CopyObjectCommand)[0]!.args[0].input).toEqual({
      Bucket: 'lake-bronze',
      Key: 'orders/2026 11/a+b.ndjson',
      CopySource: 'lake-bronze/orders%2F2026%2011%2Fa%2Bb.ndjson?versionId=v%2F1',
    });
    expect(info).toMatchObject({ versionId: 'v-new', etag: 'abc' });
  });

  it('answers undefined for a version that is gone', async () => {
    s3.on(CopyObjectCommand).rejects(
      new S3ServiceException({ name: 'NoSuchVersion', $fault: 'client', $metadata: { httpStatusCode: 404 } }),
    );
    expect(await new S3ObjectStore(new S3Client(OFFLINE)).restoreVersion('b', 'k', 'v')).toBeUndefined();
  });
});
