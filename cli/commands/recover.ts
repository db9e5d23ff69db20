import type { RecoveryReport } from '../../local/recovery.js';

/** What `lakeplane recover` did, in words, with the next step. */
export function describeRecovery(r: RecoveryReport | undefined, cli: string): string {
  if (!r) return 'nothing to recover';
  const lines: string[] = [];
  if (r.resumed.length > 0)
    lines.push(`ran ${r.resumed.length} interrupted loads again: ${r.resumed.join(', ')}`);
  if (r.abandoned.length > 0)
    lines.push(
      `ended ${r.abandoned.length} loads FAILED (interrupted too often): ${r.abandoned.join(', ')}; replay each once the cause is fixed: ${cli} replay <load>`,
    );
  if (r.republished.length > 0)
    lines.push(
      `recorded the end of ${r.republished.length} loads the ledger had missed: ${r.republished.join(', ')}`,
    );
  lines.push(
    `checked ${r.bronzeObjects} Bronze objects (any that no load knew are loaded now)${r.streamDrained ? '; read the local stream on from its checkpoints' : ''}`,
  );
  lines.push(`the workspace is in its true state; see the loads with: ${cli} loads`);
  return lines.join('\n');
}
