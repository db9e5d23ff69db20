import { statSync } from 'node:fs';
import { z } from 'zod';
import type { LocalRuntime } from '../local/runtime.js';
import { defaultHome, LOCAL_ENGINES } from '../local/workspace.js';
import { shellWord } from '../shared/core/shell-word.js';

/** Options every command accepts. */
export const globalOptions = z.object({
  home: z
    .string()
    .min(1)
    .refine((home) => statSync(home, { throwIfNoEntry: false })?.isDirectory() !== false, {
      message: 'is a file, not a folder: name a folder for the workspace (it is created when missing)',
    })
    .optional(),
  datasets: z.string().min(1).optional(),
  verbose: z.boolean().optional(),
  engine: z.enum(LOCAL_ENGINES).optional(),
});
export type GlobalOptions = z.infer<typeof globalOptions>;

/** A wrong invocation: printed as is, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Starts the local runtime for a command and always closes it. */
export async function withRuntime<T>(
  opts: GlobalOptions,
  run: (rt: LocalRuntime) => Promise<T>,
  extra: { readonly recover?: 'auto' | 'full' } = {},
): Promise<T> {
  // Imported here: only the commands that start the runtime load it (DuckDB, dynalite, the state machines).
  const { LocalRuntime } = await import('../local/runtime.js');
  const rt = await LocalRuntime.start({
    ...extra,
    home: defaultHome(opts.home),
    ...(opts.datasets
      ? { datasetsDir: opts.datasets }
      : process.env.LAKEPLANE_DATASETS
        ? { datasetsDir: process.env.LAKEPLANE_DATASETS }
        : {}),
    ...(opts.verbose ? { logLevel: 'INFO' as const } : {}),
    cli: `npx lakeplane${opts.home ? ` --home ${shellWord(opts.home)}` : ''}`,
    ...(opts.engine ? { engine: opts.engine } : {}),
    ...(process.env.LAKEPLANE_SLACK_WEBHOOK_URL
      ? { slackWebhookUrl: process.env.LAKEPLANE_SLACK_WEBHOOK_URL }
      : {}),
    onWait: (m) => process.stderr.write(`${m}…\n`),
  });
  try {
    return await run(rt);
  } finally {
    await rt.close();
  }
}

/** Parses a command's options with zod, turning mistakes into a UsageError naming the option. */
export function parseOptions<T>(schema: z.ZodType<T>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const given = (raw ?? {}) as Record<string, unknown>;
    throw new UsageError(
      parsed.error.issues
        .map((i) => {
          const name = `--${String(i.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
          const value = given[String(i.path[0] ?? '')];
          return `option ${name}${value === undefined || typeof value === 'boolean' ? '' : ` ${JSON.stringify(value)}`}: ${optionProblem(i)} (the command's --help lists its options)`;
        })
        .join('\n'),
    );
  }
  return parsed.data;
}

/** A zod issue of a CLI option in words (zod's own messages name types, not what to give). */
function optionProblem(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'number') return 'needs a number';
      if (issue.expected === 'int') return 'needs a whole number';
      return `needs a ${issue.expected}`;
    case 'too_small':
      return `needs a value ${issue.inclusive ? 'of at least' : 'above'} ${String(issue.minimum)}`;
    case 'too_big':
      return `needs a value ${issue.inclusive ? 'of at most' : 'below'} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `needs one of ${issue.values.map((v) => String(v)).join(', ')}`;
    default:
      return issue.message;
  }
}
