import { z } from 'zod';
import type { LocalRuntime } from '../local/runtime.js';
import { defaultHome, LOCAL_ENGINES } from '../local/workspace.js';

/** Options every command accepts. */
export const globalOptions = z.object({
  home: z.string().min(1).optional(),
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
    throw new UsageError(
      parsed.error.issues.map((i) => `option --${i.path.join('.')}: ${i.message}`).join('\n'),
    );
  }
  return parsed.data;
}
