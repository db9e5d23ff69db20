/**
 * A check of run events against the OpenLineage spec, built from the spec's JSON schemas
 * (OpenLineage.json 2-0-2 and the facet schemas at the versions each facet's `_schemaURL` names),
 * field by field: required fields, types, formats (uuid, uri, date-time) and enums.
 *
 * Built here because no registry package ships the schemas: openlineage-python 1.54.0's wheel
 * has only generated Python classes, openlineage-java 1.55.0 and openlineage-spark 1.53.0 have
 * none, npm has no OpenLineage package (docs/lineage.md, measured 2026-12-06). The events the
 * demo writes were also checked once against the spec's own JSON files with ajv (2020-12): the
 * same verdicts.
 */
import * as z from 'zod';

/** RFC 3986: a scheme, a colon, no spaces (JSON Schema's `uri` format). */
const uri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/, 'must be a URI');
const uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a UUID');
const dateTime = z.iso.datetime({ offset: true });
const int = z.number().int();

const baseFacet = z.looseObject({ _producer: uri, _schemaURL: uri });
const datasetFacet = baseFacet.extend({ _deleted: z.boolean().optional() });

const inputField = z.looseObject({
  namespace: z.string(),
  name: z.string(),
  field: z.string(),
  transformations: z
    .array(
      z.looseObject({
        type: z.string(),
        subtype: z.string().optional(),
        description: z.string().optional(),
        masking: z.boolean().optional(),
      }),
    )
    .optional(),
});
const schemaField: z.ZodType = z.lazy(() =>
  z.looseObject({
    name: z.string(),
    type: z.string().optional(),
    description: z.string().optional(),
    ordinal_position: int.optional(),
    fields: z.array(schemaField).optional(),
  }),
);
const runJob = z.looseObject({ namespace: z.string(), name: z.string() });

/** Where a facet may stand in an event, and its fields' schema. */
type Slot = 'run' | 'job' | 'dataset' | 'input' | 'output';
interface FacetSpec {
  readonly slot: Slot;
  readonly schema: z.ZodType;
}

const spec = (slot: Slot, fields: z.ZodRawShape): FacetSpec => ({
  slot,
  schema: (slot === 'dataset' ? datasetFacet : baseFacet).extend(fields),
});

/** The facets the platform writes, keyed by their `_schemaURL`. */
export const FACET_SPECS: Readonly<Record<string, FacetSpec>> = {
  'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet': spec('run', {
    run: z.looseObject({ runId: uuid }),
    job: runJob,
    root: z.looseObject({ run: z.looseObject({ runId: uuid }), job: runJob }).optional(),
  }),
  'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet': spec(
    'run',
    {
      message: z.string(),
      programmingLanguage: z.string(),
      stackTrace: z.string().optional(),
    },
  ),
  'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet':
    spec('run', {
      version: z.string(),
      name: z.string().optional(),
      openlineageAdapterVersion: z.string().optional(),
    }),
  'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet': spec('job', {
    processingType: z.string(),
    integration: z.string(),
    jobType: z.string().optional(),
  }),
  'https://openlineage.io/spec/facets/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet': spec('job', {
    query: z.string(),
    dialect: z.string().optional(),
  }),
  'https://openlineage.io/spec/facets/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet': spec(
    'job',
    {
      description: z.string(),
      contentType: z.string().optional(),
    },
  ),
  'https://openlineage.io/spec/facets/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet': spec(
    'dataset',
    {
      fields: z.array(schemaField).optional(),
    },
  ),
  'https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet':
    spec('dataset', {
      fields: z.record(z.string(), z.looseObject({ inputFields: z.array(inputField) })),
      dataset: z.array(inputField).optional(),
    }),
  'https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json#/$defs/SymlinksDatasetFacet': spec(
    'dataset',
    {
      identifiers: z
        .array(z.looseObject({ namespace: z.string(), name: z.string(), type: z.string() }))
        .optional(),
    },
  ),
  'https://openlineage.io/spec/facets/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet':
    spec('input', {
      assertions: z.array(
        z.looseObject({
          assertion: z.string(),
          success: z.boolean(),
          column: z.string().optional(),
          severity: z.string().optional(),
        }),
      ),
    }),
  'https://openlineage.io/spec/facets/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet':
    spec('input', { rowCount: int.optional(), size: int.optional(), fileCount: int.optional() }),
  'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet':
    spec('output', { rowCount: int.optional(), size: int.optional(), fileCount: int.optional() }),
};

/** The standard facet names (the key a facet stands under) and their schemas' names. */
const FACET_KEYS: Readonly<Record<string, string>> = {
  parent: 'ParentRunFacet',
  errorMessage: 'ErrorMessageRunFacet',
  processing_engine: 'ProcessingEngineRunFacet',
  jobType: 'JobTypeJobFacet',
  sql: 'SQLJobFacet',
  documentation: 'DocumentationJobFacet',
  schema: 'SchemaDatasetFacet',
  columnLineage: 'ColumnLineageDatasetFacet',
  symlinks: 'SymlinksDatasetFacet',
  dataQualityAssertions: 'DataQualityAssertionsDatasetFacet',
  inputStatistics: 'InputStatisticsInputDatasetFacet',
  outputStatistics: 'OutputStatisticsOutputDatasetFacet',
};

const facets = z.record(z.string(), baseFacet);
const dataset = z.looseObject({ namespace: z.string(), name: z.string(), facets: facets.optional() });

/** OpenLineage.json 2-0-2 `#/$defs/RunEvent`. */
export const runEventSpec = z.looseObject({
  eventTime: dateTime,
  producer: uri,
  schemaURL: uri,
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']).optional(),
  run: z.looseObject({ runId: uuid, facets: facets.optional() }),
  job: z.looseObject({ namespace: z.string(), name: z.string(), facets: facets.optional() }),
  inputs: z.array(dataset.extend({ inputFacets: facets.optional() })).optional(),
  outputs: z.array(dataset.extend({ outputFacets: facets.optional() })).optional(),
});

/** Every way `event` breaks the spec (empty: it conforms), each naming the path. */
export function specViolations(event: unknown): string[] {
  const problems: string[] = [];
  const core = runEventSpec.safeParse(event);
  if (!core.success) return core.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  const e = core.data;
  if (e.schemaURL !== 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
    problems.push(`schemaURL: ${e.schemaURL} is not the RunEvent of spec 2-0-2`);
  const check = (where: string, slot: Slot, list: Record<string, z.infer<typeof baseFacet>> | undefined) => {
    for (const [key, f] of Object.entries(list ?? {})) {
      const url = f._schemaURL;
      if (!url.startsWith('https://openlineage.io/')) continue; // a custom facet: BaseFacet only
      const s = FACET_SPECS[url];
      if (!s) {
        problems.push(`${where}.${key}: no schema known for ${url}`);
        continue;
      }
      if (s.slot !== slot) problems.push(`${where}.${key}: a ${s.slot} facet stands among ${slot} facets`);
      if (FACET_KEYS[key] && !url.includes(`/${FACET_KEYS[key]}.json#`))
        problems.push(`${where}.${key}: the key ${key} names ${FACET_KEYS[key]}, not ${url}`);
      const r = s.schema.safeParse(f);
      if (!r.success)
        for (const i of r.error.issues) problems.push(`${where}.${key}.${i.path.join('.')}: ${i.message}`);
    }
  };
  check('run.facets', 'run', e.run.facets);
  check('job.facets', 'job', e.job.facets);
  e.inputs?.forEach((d, i) => {
    check(`inputs.${i}.facets`, 'dataset', d.facets);
    check(`inputs.${i}.inputFacets`, 'input', d.inputFacets);
  });
  e.outputs?.forEach((d, i) => {
    check(`outputs.${i}.facets`, 'dataset', d.facets);
    check(`outputs.${i}.outputFacets`, 'output', d.outputFacets);
  });
  return problems;
}
