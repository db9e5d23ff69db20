/**
 * A word as a POSIX shell reads it back: as is when it holds only safe characters, else in single
 * quotes (a `'` inside as `'\''`). For the commands the CLI prints for an engineer to type; a
 * dependency for one function this small is not worth it.
 */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
