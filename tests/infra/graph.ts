/**
 * The dependency graph CloudFormation builds from a template: an edge from a resource to every
 * resource it names through Ref, Fn::GetAtt, Fn::Sub (`${Id}` / `${Id.Attribute}`) or DependsOn.
 * CloudFormation rejects a template whose graph has a cycle ("Circular dependency between
 * resources") when the stack is created or updated; `osls package` does not check it.
 */

import type { Json, Template } from './template.js';

/** Logical ids named in a Fn::Sub string, without pseudo parameters and the Sub's own variables. */
function subReferences(text: string, locals: ReadonlySet<string>): string[] {
  const ids: string[] = [];
  for (const [, inner] of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
    const id = (inner ?? '').split('.')[0] ?? '';
    if (!id.startsWith('AWS::') && !locals.has(id)) ids.push(id);
  }
  return ids;
}

/** Every logical id a piece of a template names (Ref, Fn::GetAtt, Fn::Sub). */
export function referencesIn(value: Json): string[] {
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (typeof value !== 'object' || value === null) return [];
  const found: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, Json>)) {
    if (key === 'Ref' && typeof v === 'string') {
      if (!v.startsWith('AWS::')) found.push(v);
    } else if (key === 'Fn::GetAtt') {
      const target = Array.isArray(v) ? v[0] : typeof v === 'string' ? v.split('.')[0] : undefined;
      if (typeof target === 'string') found.push(target);
      else found.push(...referencesIn(v));
    } else if (key === 'Fn::Sub') {
      const [text, vars] = Array.isArray(v) ? [v[0], v[1] ?? {}] : [v, {}];
      if (typeof text === 'string') found.push(...subReferences(text, new Set(Object.keys(vars))));
      found.push(...referencesIn(vars));
    } else {
      found.push(...referencesIn(v));
    }
  }
  return found;
}

/** The resources each resource depends on (only ids that are resources of the template). */
export function dependencyGraph(template: Template): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    const named = [
      ...referencesIn(resource.Properties ?? {}),
      ...[resource.DependsOn ?? []].flat().filter((d): d is string => typeof d === 'string'),
    ];
    graph.set(id, new Set(named.filter((n) => n in template.Resources)));
  }
  return graph;
}

/**
 * The dependency cycles of a template, each as the ids along it (first id repeated at the
 * end), e.g. `A -> B -> A`. Empty when CloudFormation can order every resource.
 */
export function dependencyCycles(template: Template): string[] {
  const graph = dependencyGraph(template);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const path: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'open');
    path.push(id);
    for (const next of graph.get(id) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(id, 'done');
  };
  for (const id of [...graph.keys()].sort()) if (!state.has(id)) visit(id);
  return cycles;
}
