/**
 * The EMR budget guard on the local runtime: the same budget-guard handler and the same first
 * state of load-dataset as in AWS. A dataset that has spent its step-hours of the UTC day gets
 * its next load refused before any step, recorded FAILED with a cause that says what to do,
 * alerted, and replayable later.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../local/runtime.js';
import { LOCAL_LAYOUT } from '../../local/workspace.js';
import { replayLoad } from '../../shared/usecases/replay.js';
import { ndjson, order, tempDir } from '../helpers/fixtures.js';
import { notifications } from '../helpers/runtime.js';

let rt: LocalRuntime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

describe('budget-guard on the local runtime', () => {
  it('refuses the load after the budget is spent, before any EMR step, and says what to do', async () => {
    const home = tempDir();
    // A budget smaller than one local load: the first load fits (nothing spent yet), the next does not.
    rt = await LocalRuntime.start({ home, print: () => {}, emrStepHoursPerDatasetPerDay: 1e-9 });
    const steps: string[] = [];
    rt.emr.fault = (job, phase) => {
      steps.push(`${job}:${phase ?? ''}`);
    };
    const first = await rt.land(
      'orders',
      ndjson(tempDir(), 'a.ndjson', [order('o1', '2026-11-20T10:00:00Z')]),
    );
    await rt.idle();
    expect((await rt.ledger.get(first.loadId!))?.status).toBe('SUCCEEDED');
    const stepsOfFirst = steps.length;
    expect(stepsOfFirst).toBeGreaterThan(0);

    const second = await rt.land(
      'orders',
      ndjson(tempDir(), 'b.ndjson', [order('o2', '2026-11-20T11:00:00Z')]),
    );
    await rt.idle();
    const refused = await rt.ledger.get(second.loadId!);
    expect(refused?.status).toBe('FAILED');
    expect(refused?.cause?.error).toBe('Lakeplane.BudgetExceeded');
    expect(refused?.cause?.message).toMatch(
      new RegExp(
        `orders has spent [\\d.]+ of its 1e-9 EMR step-hours today \\(UTC, 1 loads\\): load ${second.loadId} did not start\\. Replay it after midnight UTC \\(lakeplane replay ${second.loadId}\\), or raise the stage parameter emrStepHoursPerDatasetPerDay`,
      ),
    );
    expect(steps.length, 'no EMR step ran for the refused load').toBe(stepsOfFirst);
    const alerts = notifications(rt).map((n) => JSON.stringify(n));
    expect(alerts.some((a) => a.includes(second.loadId!) && a.includes('BudgetExceeded'))).toBe(true);
    // Another dataset has its own budget.
    const items = await rt.land(
      'order_items',
      ndjson(tempDir(), 'i.ndjson', [
        {
          Op: 'I',
          dms_commit_ts: '2026-11-20T10:00:00Z',
          order_id: 'o1',
          line_no: 1,
          sku: 'A',
          quantity: 1,
          unit_price: 1.0,
          order_date: '2026-11-20',
        },
      ]),
    );
    await rt.idle();
    expect((await rt.ledger.get(items.loadId!))?.status).toBe('SUCCEEDED');
    await rt.close();

    // With the budget raised, the refused load replays.
    rt = await LocalRuntime.start({ home, print: () => {}, emrStepHoursPerDatasetPerDay: 10 });
    const replayed = await replayLoad(second.loadId!, {
      contracts: rt.contracts,
      ledger: rt.ledger,
      orchestrator: rt.stepFunctions,
      layout: LOCAL_LAYOUT,
    });
    expect(replayed.outcome).toBe('started');
    await rt.idle();
    expect((await rt.ledger.get(second.loadId!))?.status).toBe('SUCCEEDED');
  });
});
