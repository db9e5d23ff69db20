import * as z from 'zod';
import { expectationSpec } from '../quality/expectations.js';

const identifier = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    'must be an identifier (letters, digits, underscore; not starting with a digit)',
  )
  .refine(
    (s) => !s.toLowerCase().startsWith('__lp_') && !s.toLowerCase().startsWith('_hoodie_'),
    'names starting with __lp_ or _hoodie_ are reserved for lakeplane and Hudi',
  );

/** The YAML shape of a dataset contract, before cross-field checks. */
export const contractDocument = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z][a-z0-9_]{0,39}$/,
      'must be lower case letters, digits or underscore, starting with a letter, at most 40 characters',
    ),
  description: z.string().min(1),
  owner: z.string().min(1).optional(),
  bronze: z.strictObject({
    prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_\-/]*\/$/, 'must be a relative key prefix ending in "/" (e.g. orders/)')
      .refine((p) => !p.split('/').includes('..'), 'must not contain ".." segments'),
    format: z.literal('ndjson').default('ndjson'),
    max_bad_record_ratio: z.number().min(0).max(1).default(0.2),
  }),
  key: z.array(identifier).min(1, 'needs at least one record key field'),
  precombine: identifier,
  partition: identifier,
  columns: z
    .array(
      z.strictObject({
        name: identifier,
        type: z.string().min(1),
        nullable: z.boolean().default(true),
        pii: z.boolean().default(false),
        description: z.string().optional(),
      }),
    )
    .min(1, 'needs at least one column'),
  silver: z.strictObject({ sql: z.string().min(1) }),
  gold: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9_]{0,59}$/, 'must be lower case letters, digits or underscore'),
        description: z.string().optional(),
        sql: z.string().min(1),
      }),
    )
    .default([]),
  cdc: z
    .strictObject({
      column: identifier,
      delete_value: z.string().min(1).default('D'),
    })
    .optional(),
  expectations: z.array(expectationSpec).default([]),
  drift: z.strictObject({ policy: z.enum(['evolve', 'alert', 'block']) }).default({ policy: 'alert' }),
  alerts: z.strictObject({ slack_channel: z.string().optional() }).default({}),
  /** EMR step-hours the dataset's loads may spend per UTC day (default: the stage's). */
  budget: z.strictObject({ emr_step_hours_per_day: z.number().positive().max(10_000) }).optional(),
  paused: z.boolean().default(false),
});

export type ContractDocument = z.infer<typeof contractDocument>;
