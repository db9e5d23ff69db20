/**
 * Plain-text tables for the terminal. A few lines of padding; a table library would add a
 * dependency for no behaviour we need.
 */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map(
    (_, i) => cells.length > 0 && cells.every((r) => /^-?[\d.,]*$/.test(r[i] ?? '')),
  );
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Milliseconds as a short human duration. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** What a listing command prints: JSON when asked, a line when there is nothing, else a table. */
export function listing<T>(
  records: readonly T[],
  view: {
    readonly json?: boolean;
    readonly empty: string;
    readonly columns: readonly string[];
    readonly row: (record: T) => readonly unknown[];
  },
): string {
  if (view.json) return JSON.stringify(records, null, 2);
  if (records.length === 0) return view.empty;
  return table(view.columns, records.map(view.row));
}

/** `1 load`, `2 loads`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
