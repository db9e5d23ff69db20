/**
 * The lake's lineage graph from run events (`lakeplane lineage`): datasets (Bronze prefixes,
 * Silver and Gold tables, the quarantine) and the jobs between them, each job with its runs and
 * its last one. Pure: the CLI reads the events (the workspace's lineage.jsonl) and prints this as
 * text, JSON, Graphviz DOT or Mermaid.
 */
import * as z from 'zod';
import type { EventType, RunEvent } from './openlineage.js';

/** The parts of a run event the graph reads (the file may hold events of other producers too). */
const eventShape = z.looseObject({
  eventType: z.enum(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']),
  eventTime: z.string(),
  run: z.looseObject({ runId: z.string(), facets: z.record(z.string(), z.unknown()).optional() }),
  job: z.looseObject({ namespace: z.string(), name: z.string() }),
  inputs: z.array(z.looseObject({ namespace: z.string(), name: z.string() })).default([]),
  outputs: z.array(z.looseObject({ namespace: z.string(), name: z.string() })).default([]),
});

/** A line of the file that is not a run event. */
export interface UnreadableLine {
  readonly line: number;
  readonly reason: string;
}

/** Reads JSONL run events; a line that is not one is reported, never fatal. */
export function parseRunEvents(text: string): { events: RunEvent[]; unreadable: UnreadableLine[] } {
  const events: RunEvent[] = [];
  const unreadable: UnreadableLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    let doc: unknown;
    try {
      doc = JSON.parse(raw);
    } catch {
      unreadable.push({ line: i + 1, reason: 'not JSON' });
      return;
    }
    const parsed = eventShape.safeParse(doc);
    if (parsed.success) events.push(doc as RunEvent);
    else
      unreadable.push({
        line: i + 1,
        reason: `not a run event (${parsed.error.issues[0]?.path.join('.') || 'shape'})`,
      });
  });
  return { events, unreadable };
}

export type NodeKind = 'bronze' | 'silver' | 'gold' | 'quarantine' | 'dataset';

export interface DatasetNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
  readonly namespace: string;
  readonly name: string;
}

/** One run of a job, as its events tell it. */
export interface RunSummary {
  readonly runId: string;
  /** The run's last state: its terminal event's type, else START / RUNNING. */
  readonly state: EventType;
  readonly startedAt?: string;
  readonly endedAt?: string;
  readonly loadId?: string;
  readonly attempt?: number;
  readonly replay?: boolean;
  readonly rollbackTo?: string;
  readonly error?: string;
  /** What the run wrote, as its last event names it (dataset node ids). */
  readonly outputs: readonly string[];
}

export interface JobNode {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Newest first. */
  readonly runs: readonly RunSummary[];
}

export interface LineageGraph {
  readonly datasets: readonly DatasetNode[];
  readonly jobs: readonly JobNode[];
}

const TERMINAL: ReadonlySet<EventType> = new Set(['COMPLETE', 'FAIL', 'ABORT']);

/** A dataset's node: every attempt's quarantine folder of a dataset is one node (`<bucket>/<dataset>`). */
function nodeOf(d: { namespace: string; name: string }, quarantineBuckets: ReadonlySet<string>): DatasetNode {
  const glue = /^arn:aws:glue:[^:]*:[^:]*$/.test(d.namespace) ? /^table\/([^/]+)\/(.+)$/.exec(d.name) : null;
  if (glue) {
    const [, database, table] = glue as unknown as [string, string, string];
    const kind: NodeKind = /silver/i.test(database) ? 'silver' : /gold/i.test(database) ? 'gold' : 'bronze';
    return {
      id: `${d.namespace}/${d.name}`,
      kind,
      label: `${database}.${table}`,
      namespace: d.namespace,
      name: d.name,
    };
  }
  const bucket = d.namespace.replace(/^s3:\/\//, '');
  if (d.namespace.startsWith('s3://') && quarantineBuckets.has(bucket)) {
    const top = d.name.split('/')[0] ?? d.name;
    return {
      id: `${d.namespace}/${top}`,
      kind: 'quarantine',
      label: `${d.namespace}/${top}/`,
      namespace: d.namespace,
      name: top,
    };
  }
  const kind: NodeKind = d.namespace.startsWith('s3://') && /bronze/i.test(bucket) ? 'bronze' : 'dataset';
  return {
    id: `${d.namespace}/${d.name}`,
    kind,
    label: `${d.namespace}/${d.name}`,
    namespace: d.namespace,
    name: d.name,
  };
}

const facetField = (facets: Record<string, unknown> | undefined, facet: string, field: string): unknown => {
  const f = facets?.[facet];
  return typeof f === 'object' && f !== null ? (f as Record<string, unknown>)[field] : undefined;
};

/**
 * The graph of `events`. Quarantine outputs (datasets with a `lakeplane_quarantine` facet) fold
 * into one node per quarantine bucket and dataset.
 */
export function lineageGraph(events: readonly RunEvent[]): LineageGraph {
  const quarantineBuckets = new Set(
    events.flatMap((e) =>
      e.outputs
        .filter((o) => o.outputFacets?.lakeplane_quarantine)
        .map((o) => o.namespace.replace(/^s3:\/\//, '')),
    ),
  );
  const datasets = new Map<string, DatasetNode>();
  const jobs = new Map<
    string,
    {
      namespace: string;
      name: string;
      inputs: Set<string>;
      outputs: Set<string>;
      runs: Map<string, RunSummary>;
    }
  >();
  const sorted = [...events].sort((a, b) => a.eventTime.localeCompare(b.eventTime));
  for (const e of sorted) {
    const id = `${e.job.namespace}/${e.job.name}`;
    let job = jobs.get(id);
    if (!job) {
      job = {
        namespace: e.job.namespace,
        name: e.job.name,
        inputs: new Set(),
        outputs: new Set(),
        runs: new Map(),
      };
      jobs.set(id, job);
    }
    const runOutputs: string[] = [];
    for (const [list, into] of [
      [e.inputs, job.inputs],
      [e.outputs, job.outputs],
    ] as const)
      for (const d of list) {
        const node = nodeOf(d, quarantineBuckets);
        datasets.set(node.id, node);
        into.add(node.id);
        if (list === e.outputs) runOutputs.push(node.id);
      }
    const before = job.runs.get(e.run.runId);
    const facets = e.run.facets as Record<string, unknown> | undefined;
    const loadId =
      facetField(facets, 'lakeplane_load', 'loadId') ?? facetField(facets, 'lakeplane_gold', 'loadId');
    const attempt =
      facetField(facets, 'lakeplane_load', 'attempt') ?? facetField(facets, 'lakeplane_gold', 'attempt');
    const replay = facetField(facets, 'lakeplane_load', 'replay');
    const toCommit = facetField(facets, 'lakeplane_rollback', 'toCommit');
    const beforeLoad = facetField(facets, 'lakeplane_rollback', 'beforeLoad');
    const rollbackTo =
      typeof toCommit === 'string'
        ? toCommit
        : typeof beforeLoad === 'string'
          ? `before load ${beforeLoad}`
          : undefined;
    const error = facetField(facets, 'errorMessage', 'message');
    // A late START never takes a run back from its end (events arrive in any order).
    const ended = before && TERMINAL.has(before.state);
    const state = ended && !TERMINAL.has(e.eventType) ? before.state : e.eventType;
    job.runs.set(e.run.runId, {
      ...before,
      runId: e.run.runId,
      state,
      outputs: ended && !TERMINAL.has(e.eventType) ? before.outputs : runOutputs,
      ...(e.eventType === 'START' ? { startedAt: e.eventTime } : {}),
      ...(TERMINAL.has(e.eventType) ? { endedAt: e.eventTime } : {}),
      ...(typeof loadId === 'string' ? { loadId } : {}),
      ...(typeof attempt === 'number' ? { attempt } : {}),
      ...(typeof replay === 'boolean' ? { replay } : {}),
      ...(typeof rollbackTo === 'string' ? { rollbackTo } : {}),
      ...(typeof error === 'string' ? { error } : {}),
    });
  }
  const when = (r: RunSummary) => r.endedAt ?? r.startedAt ?? '';
  return {
    datasets: [...datasets.values()].sort(
      (a, b) => kindOrder(a.kind) - kindOrder(b.kind) || a.label.localeCompare(b.label),
    ),
    jobs: [...jobs.entries()]
      .map(([id, j]) => ({
        id,
        namespace: j.namespace,
        name: j.name,
        inputs: [...j.inputs],
        outputs: [...j.outputs],
        runs: [...j.runs.values()].sort((a, b) => when(b).localeCompare(when(a))),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

const kindOrder = (k: NodeKind) => ['bronze', 'dataset', 'silver', 'gold', 'quarantine'].indexOf(k);

/** The part of the graph about one dataset: its jobs (`<dataset>.…`) and what they read and write. */
export function datasetSubgraph(graph: LineageGraph, dataset: string): LineageGraph {
  const jobs = graph.jobs.filter((j) => j.name.startsWith(`${dataset}.`));
  const used = new Set(jobs.flatMap((j) => [...j.inputs, ...j.outputs]));
  return { datasets: graph.datasets.filter((d) => used.has(d.id)), jobs };
}

const label = (graph: LineageGraph) => {
  const byId = new Map(graph.datasets.map((d) => [d.id, d.label]));
  return (id: string) => byId.get(id) ?? id;
};

function runText(r: RunSummary): string {
  const parts = [r.state, r.endedAt ?? r.startedAt ?? ''];
  if (r.loadId)
    parts.push(`load ${r.loadId}${r.attempt ? ` attempt ${r.attempt}` : ''}${r.replay ? ' (replay)' : ''}`);
  if (r.rollbackTo) parts.push(`to ${r.rollbackTo}`);
  return parts.filter(Boolean).join('  ');
}

/** The graph as text: each job with what it reads and writes, its last run and its run counts. */
export function graphText(graph: LineageGraph): string {
  const name = label(graph);
  const lines: string[] = [];
  // Each dataset, and the last run that wrote it (Bronze is written by producers, not by a run).
  const width = Math.max(...graph.datasets.map((d) => d.label.length));
  for (const d of graph.datasets) {
    const writers = graph.jobs.flatMap((j) =>
      j.runs
        .filter((r) => (r.state === 'COMPLETE' || d.kind === 'quarantine') && r.outputs.includes(d.id))
        .map((r) => ({ job: j.name, r })),
    );
    const last = writers.sort((a, b) =>
      (b.r.endedAt ?? b.r.startedAt ?? '').localeCompare(a.r.endedAt ?? a.r.startedAt ?? ''),
    )[0];
    const source =
      d.kind !== 'bronze'
        ? ''
        : d.namespace.startsWith('arn:aws:glue:')
          ? "the catalog's table of the Bronze files (the crawler keeps it)"
          : 'landed by producers';
    lines.push(
      `${d.label.padEnd(width)}  ${last ? `last written by ${last.job}: ${runText(last.r)}` : source}`.trimEnd(),
    );
  }
  lines.push('');
  for (const j of graph.jobs) {
    const last = j.runs[0];
    const failed = j.runs.filter((r) => r.state === 'FAIL' || r.state === 'ABORT').length;
    lines.push(`${j.name}`);
    lines.push(
      `  ${j.inputs.map(name).join(', ') || '(no inputs)'} → ${j.outputs.map(name).join(', ') || '(no outputs)'}`,
    );
    if (last) lines.push(`  last run ${runText(last)}`);
    lines.push(
      `  ${j.runs.length} run${j.runs.length === 1 ? '' : 's'}${failed ? `, ${failed} failed` : ''}`,
    );
    if (last?.error && last.state !== 'COMPLETE') lines.push(`  error: ${last.error}`);
  }
  return lines.join('\n');
}

/** Graphviz DOT: datasets as boxes, jobs as ellipses labelled with their last run. */
export function graphDot(graph: LineageGraph): string {
  const esc = (s: string) => s.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
  const q = (s: string) => `"${esc(s)}"`;
  /** A label of lines: each escaped, joined by DOT's line break. */
  const label = (...lines: string[]) => `"${lines.map(esc).join('\\n')}"`;
  const lines = ['digraph lineage {', '  rankdir=LR;', '  node [fontname="Helvetica"];'];
  for (const d of graph.datasets) lines.push(`  ${q(d.id)} [shape=box, label=${label(d.label, d.kind)}];`);
  for (const j of graph.jobs) {
    const last = j.runs[0];
    const run = last ? [`${last.state} ${last.endedAt ?? last.startedAt ?? ''}`] : [];
    lines.push(`  ${q(j.id)} [shape=ellipse, label=${label(j.name, ...run)}];`);
    for (const i of j.inputs) lines.push(`  ${q(i)} -> ${q(j.id)};`);
    for (const o of j.outputs) lines.push(`  ${q(j.id)} -> ${q(o)};`);
  }
  lines.push('}');
  return lines.join('\n');
}

/** Mermaid flowchart (GitHub and most wikis render it). */
export function graphMermaid(graph: LineageGraph): string {
  const ids = new Map<string, string>();
  const idOf = (s: string) => {
    let id = ids.get(s);
    if (!id) {
      id = `n${ids.size}`;
      ids.set(s, id);
    }
    return id;
  };
  // Mermaid labels are quoted strings: a double quote inside one is written as #quot;
  const text = (s: string) => `"${s.replaceAll('"', '#quot;')}"`;
  const lines = ['flowchart LR'];
  for (const d of graph.datasets) lines.push(`  ${idOf(d.id)}[${text(`${d.label} (${d.kind})`)}]`);
  for (const j of graph.jobs) {
    const last = j.runs[0];
    lines.push(`  ${idOf(j.id)}([${text(`${j.name}${last ? ` · ${last.state}` : ''}`)}])`);
    for (const i of j.inputs) lines.push(`  ${idOf(i)} --> ${idOf(j.id)}`);
    for (const o of j.outputs) lines.push(`  ${idOf(j.id)} --> ${idOf(o)}`);
  }
  return lines.join('\n');
}

/** Whether a rollback's end names `loadId` among the loads it undid. */
function undid(e: RunEvent, loadId: string): boolean {
  const undone = facetField(e.run.facets as Record<string, unknown>, 'lakeplane_rollback', 'undoneLoads');
  return (
    e.eventType === 'COMPLETE' &&
    Array.isArray(undone) &&
    undone.some((u) => (u as { loadId?: unknown }).loadId === loadId)
  );
}

/**
 * The events of one load: its attempts' runs, the Gold rebuilds after them and the end of each
 * rollback that undid one of its commits, in time order.
 */
export function loadEvents(events: readonly RunEvent[], loadId: string): RunEvent[] {
  return events
    .filter((e) => {
      const facets = e.run.facets as Record<string, unknown> | undefined;
      return (
        facetField(facets, 'lakeplane_load', 'loadId') === loadId ||
        facetField(facets, 'lakeplane_gold', 'loadId') === loadId ||
        undid(e, loadId)
      );
    })
    .sort((a, b) => a.eventTime.localeCompare(b.eventTime));
}

/** One load's runs as text: per run its events, inputs (object versions) and outputs (rows). */
export function loadText(events: readonly RunEvent[], loadId: string): string {
  const graph = lineageGraph(events);
  const name = label(graph);
  const runs = new Map<string, RunEvent[]>();
  for (const e of events) runs.set(e.run.runId, [...(runs.get(e.run.runId) ?? []), e]);
  const lines = [`load ${loadId}`];
  for (const [runId, evs] of runs) {
    const first = evs[0]!;
    if (undid(first, loadId)) {
      lines.push(`${first.job.name}  run ${runId}`);
      lines.push(
        `  ${first.eventTime}: took this load's commit out of Silver (ROLLED_BACK; a later attempt may have applied it again)`,
      );
      continue;
    }
    const attempt = facetField(first.run.facets as Record<string, unknown>, 'lakeplane_load', 'attempt');
    lines.push(`${first.job.name}${typeof attempt === 'number' ? ` attempt ${attempt}` : ''}  run ${runId}`);
    lines.push(`  ${evs.map((e) => `${e.eventType} ${e.eventTime}`).join(', ')}`);
    const end = evs.at(-1)!;
    for (const i of end.inputs) {
      const objects = facetField(
        i.inputFacets as Record<string, unknown>,
        'lakeplane_objectVersions',
        'objects',
      );
      lines.push(`  in   ${name(nodeOf(i, new Set()).id)}`);
      if (Array.isArray(objects))
        for (const o of objects as { key: string; versionId?: string }[])
          lines.push(`         ${o.key}${o.versionId ? ` (version ${o.versionId})` : ''}`);
    }
    for (const o of end.outputs) {
      const rows = facetField(o.outputFacets as Record<string, unknown>, 'outputStatistics', 'rowCount');
      lines.push(
        `  out  ${o.outputFacets?.lakeplane_quarantine ? `${o.namespace}/${o.name}` : name(nodeOf(o, new Set()).id)}${typeof rows === 'number' ? `  ${rows} rows written` : ''}`,
      );
    }
    const error = facetField(end.run.facets as Record<string, unknown>, 'errorMessage', 'message');
    if (typeof error === 'string') lines.push(`  error: ${error}`);
  }
  return lines.join('\n');
}
