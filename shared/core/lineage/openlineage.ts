/**
 * The OpenLineage objects the platform sends (https://openlineage.io/spec): run events and the
 * facets it fills from what it already knows. Typed by hand from the spec's JSON schemas (the
 * spec ships no TypeScript); tests/unit/lineage-schema.test.ts validates every event the demo
 * writes against the schemas themselves, so a field named wrong here fails there.
 */
import { createHash } from 'node:crypto';

/** The spec version of the run events (`schemaURL`). */
export const OPENLINEAGE_SPEC = '2-0-2';
export const RUN_EVENT_SCHEMA_URL = `https://openlineage.io/spec/${OPENLINEAGE_SPEC}/OpenLineage.json#/$defs/RunEvent`;

/** The facet schemas the platform writes, each at the version whose fields it fills. */
export const FACET_SCHEMAS = {
  parent: 'ParentRunFacet/1-2-0',
  errorMessage: 'ErrorMessageRunFacet/1-0-1',
  processing_engine: 'ProcessingEngineRunFacet/1-1-1',
  jobType: 'JobTypeJobFacet/2-0-4',
  sql: 'SQLJobFacet/1-1-0',
  documentation: 'DocumentationJobFacet/1-1-0',
  schema: 'SchemaDatasetFacet/1-2-0',
  columnLineage: 'ColumnLineageDatasetFacet/1-2-0',
  dataQualityAssertions: 'DataQualityAssertionsDatasetFacet/1-1-0',
  outputStatistics: 'OutputStatisticsOutputDatasetFacet/1-0-2',
  inputStatistics: 'InputStatisticsInputDatasetFacet/1-0-0',
  symlinks: 'SymlinksDatasetFacet/1-0-1',
} as const;
export type StandardFacet = keyof typeof FACET_SCHEMAS;

/** `_schemaURL` of a standard facet: `https://openlineage.io/spec/facets/<version>/<Name>.json#/$defs/<Name>`. */
export function facetSchemaUrl(facet: StandardFacet): string {
  const [name, version] = FACET_SCHEMAS[facet].split('/') as [string, string];
  return `https://openlineage.io/spec/facets/${version}/${name}.json#/$defs/${name}`;
}

/**
 * Where the platform's own facets (`lakeplane_*`) are described: the custom facets' schema
 * (docs/lineage.md, Custom facets). A custom facet's `_schemaURL` must be a URI; the spec does
 * not resolve it.
 */
export const CUSTOM_FACET_SCHEMA_URL = 'urn:lakeplane:openlineage:facets:1';

export type EventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

export interface BaseFacet {
  readonly _producer: string;
  readonly _schemaURL: string;
  readonly [field: string]: unknown;
}

export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
  readonly facets?: Readonly<Record<string, BaseFacet>>;
}
export interface InputDataset extends LineageDataset {
  readonly inputFacets?: Readonly<Record<string, BaseFacet>>;
}
export interface OutputDataset extends LineageDataset {
  readonly outputFacets?: Readonly<Record<string, BaseFacet>>;
}

export interface RunEvent {
  readonly eventType: EventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets?: Readonly<Record<string, BaseFacet>> };
  readonly job: {
    readonly namespace: string;
    readonly name: string;
    readonly facets?: Readonly<Record<string, BaseFacet>>;
  };
  readonly inputs: readonly InputDataset[];
  readonly outputs: readonly OutputDataset[];
}

/** Who wrote an event or facet (`producer`, `_producer`): the platform and its version. */
export function producerOf(version: string): string {
  return `urn:lakeplane:control-plane:${version}`;
}

/** A standard facet with its `_producer` and `_schemaURL`. */
export function facet(producer: string, name: StandardFacet, fields: Record<string, unknown>): BaseFacet {
  return { _producer: producer, _schemaURL: facetSchemaUrl(name), ...fields };
}

/** One of the platform's own facets. */
export function customFacet(producer: string, fields: Record<string, unknown>): BaseFacet {
  return { _producer: producer, _schemaURL: CUSTOM_FACET_SCHEMA_URL, ...fields };
}

/**
 * A name-based UUID (RFC 9562 version 5, SHA-1) under the platform's namespace: the same name is
 * always the same run id, so every delivery of an event about one attempt (a repeated EventBridge
 * event, the reconciler, a replayed file) names the same run. Written here, not imported, because
 * it is nine lines over node:crypto and the `uuid` package would add a dependency to every
 * function bundle for them.
 */
export function runIdOf(name: string): string {
  const h = createHash('sha1').update(LAKEPLANE_UUID_NAMESPACE).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The bytes of the namespace UUID 6f1c2c0e-5a4b-4c1f-9d8e-6c61656b706c ("…lakepl"). */
const LAKEPLANE_UUID_NAMESPACE = Buffer.from('6f1c2c0e5a4b4c1f9d8e6c61656b706c', 'hex');
