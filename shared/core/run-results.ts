import * as z from 'zod';

const count = z.number().int().nonnegative();

/** What the stage step (bronze_to_silver.py --phase stage, or the local engine) writes. */
export const stageResult = z.object({
  phase: z.literal('stage'),
  loadId: z.string(),
  dataset: z.string(),
  rowsIn: count,
  rowsQuarantined: count,
  rowsStaged: count,
  duplicatesDropped: count,
  /** Objects over the bad-record ratio, all of whose records went to quarantine (absent before coalescing). */
  objectsRejected: count.optional(),
  /** Per object of a load of several, in manifest order: its records in, and those quarantined. */
  objects: z.array(z.object({ rowsIn: count, rowsQuarantined: count })).optional(),
});
export type StageResult = z.infer<typeof stageResult>;

/** What the upsert step writes: the Silver commit and its row counts. */
export const upsertResult = z.object({
  phase: z.literal('upsert'),
  loadId: z.string(),
  dataset: z.string(),
  commitId: z.string(),
  inserted: count,
  updated: count,
  deleted: count,
});
export type UpsertResult = z.infer<typeof upsertResult>;

/** What the gold step writes. */
export const goldResult = z.object({
  phase: z.literal('gold'),
  loadId: z.string(),
  dataset: z.string(),
  tables: z.array(z.object({ name: z.string(), rows: count })),
});
export type GoldResult = z.infer<typeof goldResult>;

/** What the savepoint step writes when it savepointed the upsert's commit (savepoint_table.py). */
export const savepointResult = z.object({
  phase: z.literal('savepoint'),
  loadId: z.string(),
  dataset: z.string(),
  commitId: z.string(),
  created: z.boolean(),
  deleted: z.array(z.string()),
  keep: count,
});
export type SavepointResult = z.infer<typeof savepointResult>;

/** What the quarantine step writes after a failed quality gate. */
export const quarantineResult = z.object({
  phase: z.literal('quarantine'),
  loadId: z.string(),
  dataset: z.string(),
  rows: count,
  location: z.string(),
});
export type QuarantineResult = z.infer<typeof quarantineResult>;

/** A chain of loads to replay one after the other (plan.ts ReplayChain). */
export const replayChainShape = z.object({ loads: z.array(z.string().min(1)), reason: z.string() });

/** The execution input fields load-events reads back (see plan.ts). */
export const executionInputShape = z.object({
  load: z.object({ loadId: z.string(), dataset: z.string(), attempt: z.number().int().positive() }),
  results: z.object({
    stage: z.string(),
    validation: z.string().optional(),
    upsert: z.string(),
    savepoint: z.string().optional(),
    gold: z.string(),
  }),
  replayNext: replayChainShape.optional(),
});

/**
 * The load-dataset execution output fields load-events reads: SavepointSilver's Catch puts a
 * failed savepoint in `$.savepointError` (`{Error, Cause}`) and the load goes on.
 */
export const executionOutputShape = z.object({
  savepointError: z
    .object({ Error: z.string().nullable().optional(), Cause: z.string().nullable().optional() })
    .optional(),
});

/** The rollback-dataset execution input fields load-events reads back (see plan.ts). */
export const rollbackInputShape = z.object({
  rollback: z.object({
    rollbackId: z.string(),
    dataset: z.string(),
    toInstant: z.string(),
    dryRun: z.boolean(),
  }),
  results: z.object({ rollback: z.string(), gold: z.string().optional() }),
  replay: replayChainShape.optional(),
});

/** Splits `s3://bucket/key` into its parts. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// URI: ${uri}`);
  return { bucket: m[1]!, key: m[2]! };
}
