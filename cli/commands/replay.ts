import type { ReplayOutcome } from '../../shared/usecases/replay.js';
import { type ReplayDeps, replayCandidates, replayLoad } from '../../shared/usecases/replay.js';
import { UsageError } from '../context.js';

/** What `lakeplane replay` was asked: one load, or the failed loads of a dataset. */
export interface ReplayRequest {
  readonly loadId?: string;
  readonly dataset?: string;
  readonly status?: 'FAILED' | 'FAILED_QUALITY';
  readonly since?: string;
  readonly dryRun?: boolean;
}

export interface ReplayLine {
  readonly text: string;
  readonly ok: boolean;
}

/**
 * Replays one load, or every failed load of a dataset oldest first, locally or on a stage: the
 * caller says what a started replay turned into (`started`: locally it waits for the load, on a
 * stage it names the execution). A refused single replay is a usage error.
 */
export async function replayMany(
  deps: ReplayDeps,
  request: ReplayRequest,
  started: (
    id: string,
    outcome: Extract<ReplayOutcome, { outcome: 'started' }>,
  ) => Promise<string | ReplayLine>,
  where = '',
): Promise<ReplayLine[]> {
  const ids = request.loadId
    ? [request.loadId]
    : (
        await replayCandidates(deps.ledger, {
          dataset: request.dataset!,
          status: request.status ?? 'FAILED',
          ...(request.since ? { since: request.since } : {}),
        })
      ).map((l) => l.loadId);
  if (ids.length === 0) return [{ text: 'nothing to replay', ok: true }];
  const lines: ReplayLine[] = [];
  for (const [i, id] of ids.entries()) {
    const progress = ids.length > 1 ? `[${i + 1}/${ids.length}] ` : '';
    const outcome = await replayLoad(id, deps, { dryRun: request.dryRun ?? false });
    if (outcome.outcome === 'refused') {
      if (request.loadId) throw new UsageError(outcome.reason);
      lines.push({ text: `${progress}${outcome.reason}`, ok: false });
    } else if (outcome.outcome === 'would-start') {
      lines.push({
        text: `${progress}would replay ${id}${where} as attempt ${outcome.attempt} from ${outcome.source}`,
        ok: true,
      });
    } else {
      const answer = await started(id, outcome);
      const line = typeof answer === 'string' ? { text: answer, ok: true } : answer;
      lines.push({ ...line, text: `${progress}${line.text}` });
      if (ids.length > 1) process.stderr.write(`${progress}${line.text.split('\n')[0]}\n`);
    }
  }
  return lines;
}
