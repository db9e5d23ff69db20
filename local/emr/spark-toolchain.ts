import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const SPARK_JOBS_DIR = join(REPO, 'spark-jobs');
const SETUP_SCRIPT = join(REPO, 'scripts', 'setup-spark.mjs');

/** The one command that installs the Spark engine (pinned to what EMR 7.12 ships). */
export const SPARK_SETUP_COMMAND = 'npm run setup:spark';

/** What scripts/setup-spark.mjs records once the toolchain is installed and checked. */
export const sparkToolchain = z.object({
  python: z.string().min(1),
  sparkSubmit: z.string().min(1),
  hudiJar: z.string().min(1),
  java: z.string().min(1).optional(),
  javaHome: z.string().min(1).optional(),
  sparkHome: z.string().min(1).optional(),
  /** The variables spark-submit needs (JAVA_HOME, SPARK_HOME, PYSPARK_PYTHON). */
  env: z.record(z.string(), z.string()).optional(),
  versions: z.record(z.string(), z.string()).optional(),
});
export type SparkToolchain = z.infer<typeof sparkToolchain>;

/** The Spark engine was asked for but its toolchain is not installed here. */
export class SparkEngineNotInstalledError extends Error {
  override readonly name = 'SparkEngineNotInstalledError';
  constructor(detail: string) {
    super(`the Spark engine is not installed (${detail}); install it with: ${SPARK_SETUP_COMMAND}`);
  }
}

/**
 * The installed toolchain, as the set-up script reports it (`--print`: the marker it writes
 * last, so a half-finished install counts as not installed).
 * @throws SparkEngineNotInstalledError naming the command that installs it
 */
export function findSparkToolchain(): SparkToolchain {
  const r = spawnSync(process.execPath, [SETUP_SCRIPT, '--print'], { encoding: 'utf8' });
  if (r.status !== 0) {
    const why = (r.stderr || r.stdout || '').trim().split('\n')[0] || `exit ${r.status}`;
    throw new SparkEngineNotInstalledError(why);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new SparkEngineNotInstalledError('its set-up record is not JSON');
  }
  const parsed = sparkToolchain.safeParse(doc);
  if (!parsed.success) throw new SparkEngineNotInstalledError('its set-up record is incomplete');
  return parsed.data;
}
