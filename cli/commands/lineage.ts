import { existsSync, readFileSync } from 'node:fs';
import {
  datasetSubgraph,
  graphDot,
  graphMermaid,
  graphText,
  type LineageGraph,
  lineageGraph,
  loadEvents,
  loadText,
  parseRunEvents,
} from '../../shared/core/lineage/graph.js';
import { UsageError } from '../context.js';

export interface LineageViewOptions {
  readonly dataset?: string;
  readonly load?: string;
  readonly format: 'text' | 'json' | 'dot' | 'mermaid';
}

/**
 * `lakeplane lineage`: the graph of the workspace's run events (`<home>/lineage.jsonl`), or one
 * load's runs. Reads the file only: no runtime starts.
 * @param command how a printed command starts (`npx lakeplane --home …`)
 */
export function lineageView(
  file: string,
  options: LineageViewOptions,
  command: (args: string) => string,
): { text: string; warnings: string[] } {
  const none = `no lineage recorded yet (${file} does not exist): loads, rollbacks and schema-drift decisions write their run events there; try \`${command('demo')}\``;
  if (!existsSync(file) && options.load)
    throw new UsageError(`no run events of load ${options.load}: ${none}`);
  const { events, unreadable } = existsSync(file)
    ? parseRunEvents(readFileSync(file, 'utf8'))
    : { events: [], unreadable: [] };
  // The machine formats stay parseable with nothing to show: an empty graph, the sentence on stderr.
  if (!existsSync(file) && options.format !== 'text')
    return { text: render(lineageGraph([]), options.format), warnings: [none] };
  if (!existsSync(file)) return { text: none, warnings: [] };
  const warnings = unreadable.map((u) => `${file} line ${u.line} skipped: ${u.reason}`);
  if (options.load) {
    const mine = loadEvents(events, options.load);
    if (mine.length === 0)
      throw new UsageError(
        `no run events of load ${options.load} in ${file}; list the loads with \`${command('loads')}\``,
      );
    return {
      text:
        options.format === 'json'
          ? mine.map((e) => JSON.stringify(e)).join('\n')
          : loadText(mine, options.load),
      warnings,
    };
  }
  const all = lineageGraph(events);
  const graph = options.dataset ? datasetSubgraph(all, options.dataset) : all;
  if (graph.jobs.length === 0) {
    const sentence = options.dataset
      ? `no runs of ${options.dataset} recorded yet: its loads write their run events when they start and end`
      : 'no runs recorded yet';
    if (options.format !== 'text')
      return { text: render(graph, options.format), warnings: [...warnings, sentence] };
    return { text: sentence, warnings };
  }
  return { text: render(graph, options.format), warnings };
}

function render(graph: LineageGraph, format: LineageViewOptions['format']): string {
  return format === 'json'
    ? JSON.stringify(graph, null, 2)
    : format === 'dot'
      ? graphDot(graph)
      : format === 'mermaid'
        ? graphMermaid(graph)
        : graphText(graph);
}
