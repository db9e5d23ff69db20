/**
 * The record rules DuckDB's line reader cannot apply: a line that is not UTF-8, or longer than
 * its maximum line size, fails read_csv for the whole file ("Invalid unicode (byte sequence
 * mismatch) detected", "Maximum line size of 2000000 bytes exceeded"). For such a file the stage
 * runs this guard first: every line over MAX_RECORD_BYTES or not UTF-8 becomes a bad record with
 * the shared rules' reason (shared/core/record-rules.ts, casting.py's) and a blank line in the
 * copy DuckDB then reads, so line numbers stay those of the file.
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  backslashReplace,
  firstNonUtf8,
  MAX_RECORD_BYTES,
  notUtf8Reason,
  tooLargeReason,
} from '../../shared/core/record-rules.js';
import type { Compression } from './sql.js';

export interface GuardedLine {
  readonly line: number;
  readonly raw: string;
  readonly reason: string;
}

/** DuckDB's errors that the guard answers (the file's bytes, not our SQL). */
export function needsLineGuard(message: string): boolean {
  return /Invalid unicode|[Mm]aximum line size/.test(message);
}

/** Writes the readable copy of `file` to `out` (uncompressed) and returns the lines set aside. */
export function guardLines(file: string, compression: Compression, out: string): GuardedLine[] {
  const raw = readFileSync(file);
  const bytes = compression === 'gzip' ? gunzipSync(raw) : raw;
  const bad: GuardedLine[] = [];
  const parts: Buffer[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end < 0) end = bytes.length;
    lineNo++;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    const line = bytes.subarray(start, stop);
    const reason =
      line.byteLength > MAX_RECORD_BYTES
        ? tooLargeReason(line.byteLength)
        : isUtf8(line)
          ? undefined
          : notUtf8Reason(line, firstNonUtf8(line));
    if (reason === undefined) parts.push(bytes.subarray(start, Math.min(end + 1, bytes.length)));
    else {
      bad.push({ line: lineNo, raw: isUtf8(line) ? line.toString('utf8') : backslashReplace(line), reason });
      parts.push(Buffer.from('\n'));
    }
    start = end + 1;
  }
  writeFileSync(out, Buffer.concat(parts));
  return bad;
}
