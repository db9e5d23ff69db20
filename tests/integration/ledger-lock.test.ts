import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgerBusyError, startLocalLedger } from '../../local/ledger/local-ledger.js';
import { REPO, tempDir } from '../helpers/fixtures.js';

// Two commands on one workspace: the second waits for the ledger (saying so) instead of dying with
// dynalite's uncaught "Database is closed", and refuses with a sentence when it waited too long.
describe('the workspace ledger held by another process', () => {
  it('a command waits, says so, and runs once the holder lets go', async () => {
    const home = tempDir();
    const held = await startLocalLedger(join(home, 'ledger'));
    await held.ledger.list({});
    const child = spawn(process.execPath, [join(REPO, 'bin', 'lakeplane.js'), '--home', home, 'loads'], {
      env: { ...process.env, LAKEPLANE_HOME: '' },
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += String(d);
    });
    // Let go of the ledger when the command says it waits: an event, not a timer.
    const waiting = new Promise<void>((ok) =>
      child.stderr.on('data', (d) => {
        stderr += String(d);
        if (stderr.includes('waiting for it')) ok();
      }),
    );
    const exited = new Promise<number | null>((ok) => child.on('close', ok));
    await Promise.race([
      waiting,
      exited.then((code) => {
        throw new Error(`the command ended (exit ${code}) without waiting: ${stderr}`);
      }),
    ]);
    await held.close();
    expect(await exited).toBe(0);
    expect(stderr).toBe(
      'the workspace ledger is held by another lakeplane process; waiting for it (up to 30 s)…\n',
    );
    expect(stdout).toContain('no loads yet');
  });

  it('refuses with a sentence after the wait', async () => {
    const path = join(tempDir(), 'ledger');
    const held = await startLocalLedger(path);
    try {
      const second = startLocalLedger(path, { waitMs: 0 });
      await expect(second).rejects.toBeInstanceOf(LedgerBusyError);
      await expect(second).rejects.toThrow(
        /^the workspace's ledger \(.*ledger\) is held by another lakeplane process; waited 0 s\. Let that command finish \(or stop it\), then run this one again$/,
      );
    } finally {
      await held.close();
    }
  });
});
