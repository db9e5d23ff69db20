import { appendFileSync } from 'node:fs';
import type { RunEvent } from '../../shared/core/lineage/openlineage.js';
import type { LineageSink } from '../../shared/ports.js';

/**
 * The local lineage transport: each run event is one line of `<home>/lineage.jsonl`, as the
 * OpenLineage file transport writes them; `lakeplane lineage` reads it back. One synchronous
 * append per event, so a process killed after a status change keeps every event written before it.
 */
export class JsonlLineageSink implements LineageSink {
  constructor(readonly file: string) {}

  async send(event: RunEvent): Promise<void> {
    appendFileSync(this.file, `${JSON.stringify(event)}\n`);
  }
}

/** Sends each event to every sink (the local file, and an HTTP consumer when one is set). */
export class FanOutLineageSink implements LineageSink {
  constructor(private readonly sinks: readonly LineageSink[]) {}

  async send(event: RunEvent): Promise<void> {
    const failed = (await Promise.allSettled(this.sinks.map((s) => s.send(event)))).find(
      (r): r is PromiseRejectedResult => r.status === 'rejected',
    );
    if (failed) throw failed.reason;
  }
}
