/**
 * The DynamoDB ledger adapter against dynalite, in this process and in memory: the same
 * conditional writes, indexes and queries as on DynamoDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalLedger, startLocalLedger } from '../../local/ledger/local-ledger.js';
import type { DynamoLedger } from '../../shared/aws/dynamo-ledger.js';
import { allowedPredecessors, type LoadRecord, type LoadStatus } from '../../shared/core/load.js';

let local: LocalLedger;
let ledger: DynamoLedger;

beforeAll(async () => {
  local = await startLocalLedger(undefined);
  ledger = local.ledger;
});

afterAll(async () => {
  await local?.close();
});

function record(
  loadId: string,
  registeredAt: string,
  overrides: { dataset?: string; status?: LoadStatus } = {},
): LoadRecord {
  const status = overrides.status ?? 'REGISTERED';
  return {
    loadId,
    dataset: overrides.dataset ?? 'orders',
    status,
    source: {
      bucket: 'lake-bronze',
      key: `orders/${loadId}.ndjson`,
      etag: 'b1946ac92492d2347c6235b4d2611184',
      size: 1024,
      versionId: 'IYV3p45BT0ac8hjHg1houSdS1a.Mppz',
    },
    executionName: loadId,
    attempts: 1,
    registeredAt,
    history: [{ status, at: registeredAt }],
  };
}

const COUNTS = {
  rowsIn: 120,
  rowsQuarantined: 3,
  rowsStaged: 110,
  duplicatesDropped: 7,
  inserted: 100,
  updated: 10,
  deleted: 0,
};

describe('DynamoLedger on dynalite', () => {
  it('registers a load once; a second registration returns the existing record', async () => {
    const first = record('reg-1', '2024-05-01T10:00:00.000Z');
    expect(await ledger.register(first)).toEqual({ created: true });

    const again = await ledger.register({ ...first, registeredAt: '2024-05-01T11:00:00.000Z', attempts: 5 });

    expect(again).toEqual({ created: false, existing: first });
    expect(await ledger.get('reg-1')).toEqual(first);
  });

  it('reads back nothing for an unknown load', async () => {
    expect(await ledger.get('no-such-load')).toBeUndefined();
  });

  it('moves a load from an allowed predecessor, setting the update fields', async () => {
    await ledger.register(record('tr-1', '2024-05-01T10:00:00.000Z'));

    const running = await ledger.transition('tr-1', 'RUNNING', allowedPredecessors('RUNNING'), {
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:load-dataset:tr-1',
      startedAt: '2024-05-01T10:00:01.000Z',
    });

    expect(running).toMatchObject({
      loadId: 'tr-1',
      status: 'RUNNING',
      executionArn: 'arn:aws:states:eu-west-1:111122223333:execution:load-dataset:tr-1',
      startedAt: '2024-05-01T10:00:01.000Z',
    });
    expect(await ledger.get('tr-1')).toEqual(running);
  });

  it('refuses a transition from a status that is not allowed, changing nothing', async () => {
    await ledger.register(record('tr-2', '2024-05-01T10:00:00.000Z', { status: 'HELD' }));
    const before = await ledger.get('tr-2');

    const result = await ledger.transition('tr-2', 'SUCCEEDED', allowedPredecessors('SUCCEEDED'), {
      commitId: 'c-1',
    });

    expect(result).toBeUndefined();
    expect(await ledger.get('tr-2')).toEqual(before);
    // No predecessor is allowed at all: nothing is written either.
    expect(await ledger.transition('tr-2', 'HELD', allowedPredecessors('HELD'), {})).toBeUndefined();
    expect((await ledger.get('tr-2'))?.status).toBe('HELD');
  });

  it('a late RUNNING after SUCCEEDED changes nothing', async () => {
    await ledger.register(record('tr-3', '2024-05-01T10:00:00.000Z'));
    await ledger.transition('tr-3', 'RUNNING', allowedPredecessors('RUNNING'), {
      startedAt: '2024-05-01T10:00:01.000Z',
    });
    const succeeded = await ledger.transition('tr-3', 'SUCCEEDED', allowedPredecessors('SUCCEEDED'), {
      finishedAt: '2024-05-01T10:01:06.500Z',
      durationMs: 65_500,
      counts: COUNTS,
      commitId: '20240501100105123',
    });
    expect(succeeded).toMatchObject({ status: 'SUCCEEDED', counts: COUNTS, commitId: '20240501100105123' });

    const late = await ledger.transition('tr-3', 'RUNNING', allowedPredecessors('RUNNING'), {
      executionArn: 'arn:late',
      startedAt: '2024-05-01T10:05:00.000Z',
    });

    expect(late).toBeUndefined();
    expect(await ledger.get('tr-3')).toEqual(succeeded);
  });

  it('does not create a record when transitioning an unknown load', async () => {
    expect(await ledger.transition('tr-missing', 'RUNNING', ['REGISTERED'], {})).toBeUndefined();
    expect(await ledger.get('tr-missing')).toBeUndefined();
  });

  it('appends each status change to the history, in order, with its note', async () => {
    await ledger.register(record('hist-1', '2024-05-01T10:00:00.000Z', { status: 'HELD' }));
    await ledger.transition('hist-1', 'REGISTERED', allowedPredecessors('REGISTERED'), {}, 'dataset resumed');
    await ledger.transition('hist-1', 'RUNNING', allowedPredecessors('RUNNING'), {});
    await ledger.transition('hist-1', 'FAILED', allowedPredecessors('FAILED'), {
      cause: { error: 'States.TaskFailed', message: 'step failed' },
    });
    // Refused transitions leave no trace in the history.
    await ledger.transition('hist-1', 'RUNNING', allowedPredecessors('RUNNING'), {});

    const load = await ledger.get('hist-1');
    expect(load?.status).toBe('FAILED');
    expect(load?.cause).toEqual({ error: 'States.TaskFailed', message: 'step failed' });
    expect(load?.history.map((h) => h.status)).toEqual(['HELD', 'REGISTERED', 'RUNNING', 'FAILED']);
    expect(load?.history[1]?.note).toBe('dataset resumed');
    expect(load?.history[2]?.note).toBeUndefined();
    for (const change of load?.history ?? []) expect(Number.isNaN(Date.parse(change.at))).toBe(false);
  });

  describe('list', () => {
    // Registered out of time order; times are far from the other tests' records.
    const loads = [
      record('list-a-2', '2025-02-02T00:00:00.000Z', { dataset: 'list_a' }),
      record('list-a-4', '2025-02-04T00:00:00.000Z', { dataset: 'list_a' }),
      record('list-a-1', '2025-02-01T00:00:00.000Z', { dataset: 'list_a' }),
      record('list-a-3', '2025-02-03T00:00:00.000Z', { dataset: 'list_a' }),
      record('list-b-1', '2025-02-03T12:00:00.000Z', { dataset: 'list_b' }),
    ];

    beforeAll(async () => {
      for (const load of loads) await ledger.register(load);
      for (const id of ['list-a-1', 'list-a-3', 'list-b-1']) {
        await ledger.transition(id, 'FAILED', allowedPredecessors('FAILED'), {
          cause: { error: 'E', message: 'm' },
        });
      }
    });

    const ids = (records: readonly LoadRecord[]) => records.map((r) => r.loadId);

    it('by dataset, newest first', async () => {
      expect(ids(await ledger.list({ dataset: 'list_a' }))).toEqual([
        'list-a-4',
        'list-a-3',
        'list-a-2',
        'list-a-1',
      ]);
      expect(ids(await ledger.list({ dataset: 'list_b' }))).toEqual(['list-b-1']);
      expect(await ledger.list({ dataset: 'no_such_dataset' })).toEqual([]);
    });

    it('by status, newest first', async () => {
      const failed = await ledger.list({ status: 'FAILED' });
      expect(failed.every((r) => r.status === 'FAILED')).toBe(true);
      expect(ids(failed.filter((r) => r.dataset.startsWith('list_')))).toEqual([
        'list-b-1',
        'list-a-3',
        'list-a-1',
      ]);
      expect(ids(await ledger.list({ dataset: 'list_a', status: 'FAILED' }))).toEqual([
        'list-a-3',
        'list-a-1',
      ]);
      expect(ids(await ledger.list({ dataset: 'list_a', status: 'REGISTERED' }))).toEqual([
        'list-a-4',
        'list-a-2',
      ]);
    });

    it('since a time (inclusive), by dataset, by status and over the whole table', async () => {
      const since = '2025-02-03T00:00:00.000Z';
      expect(ids(await ledger.list({ dataset: 'list_a', since }))).toEqual(['list-a-4', 'list-a-3']);
      expect(ids(await ledger.list({ status: 'FAILED', since }))).toEqual(['list-b-1', 'list-a-3']);
      const all = await ledger.list({ since });
      expect(ids(all)).toEqual(['list-a-4', 'list-b-1', 'list-a-3']);
    });

    it('with a limit, keeping the newest', async () => {
      expect(ids(await ledger.list({ dataset: 'list_a', limit: 2 }))).toEqual(['list-a-4', 'list-a-3']);
      expect(
        ids(await ledger.list({ status: 'FAILED', since: '2025-01-01T00:00:00.000Z', limit: 1 })),
      ).toEqual(['list-b-1']);
      expect(ids(await ledger.list({ since: '2025-01-01T00:00:00.000Z', limit: 3 }))).toEqual([
        'list-a-4',
        'list-b-1',
        'list-a-3',
      ]);
    });
  });
});
