import { existsSync, readFileSync } from 'node:fs';
import {
  datasetSubgraph,
  graphDot,
  graphMermaid,
  graphText,
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
  if (!existsSync(file))
    return {
      text: `no lineage recorded yet (${file} does not exist): loads, rollbacks and schema-drift decisions write their run events there; try \`${command('demo')}\``,
      warnings: [],
    };
  const { events, unreadable } = parseRunEvents(readFileSync(file, 'utf8'));
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
  if (graph.jobs.length === 0)
    return {
      text: options.dataset
        ? `no runs of ${options.dataset} recorded yet: its loads write their run events when they start and end`
        : 'no runs recorded yet',
      warnings,
    };
  const text =
    options.format === 'json'
      ? JSON.stringify(graph, null, 2)
      : options.format === 'dot'
        ? graphDot(graph)
        : options.format === 'mermaid'
          ? graphMermaid(graph)
          : graphText(graph);
  return { text, warnings };
}
