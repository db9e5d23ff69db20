/**
 * Checks an EMR cluster request (scripts/emr-cluster.ts) against what the Spark jobs in spark-jobs/
 * need on the nodes: every third-party module they import installed by an exact pin of
 * spark-jobs/requirements-cluster.txt that the bootstrap action installs; the Glue Data Catalog
 * as the Hive metastore; the Hudi Spark settings the jobs set on their sessions
 * (lakeplane_jobs/hudi.py HUDI_SPARK_CONF) in spark-defaults; the Hudi bundle of plan.ts on the
 * classpath. Pure functions over file texts, so a test can break one input and see the problem named.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUDI_BUNDLE } from '../shared/core/plan.js';
import { PYTHON_STDLIB_MODULES } from './python-stdlib.js';

export const GLUE_CLIENT_FACTORY = 'com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory';
export const BOOTSTRAP_SCRIPT = 'emr/bootstrap/install-python-packages.sh';
export const CLUSTER_REQUIREMENTS = 'spark-jobs/requirements-cluster.txt';
/** Where the bootstrap script and the requirements it installs live in a stage's artifacts bucket. */
export const BOOTSTRAP_PREFIX = 'bootstrap/';

/** Modules the jobs import that EMR's Spark provides (on the PYTHONPATH spark-submit sets). */
const EMR_PROVIDED = new Set(['pyspark', 'py4j']);
/** The jobs' own package (shipped with --py-files). */
const OWN_PACKAGES = new Set(['lakeplane_jobs']);
/** Import name → PyPI distribution, where they differ. */
export const MODULE_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  great_expectations: 'great-expectations',
  boto3: 'boto3',
};

export interface SourceFile {
  /** Repository path, for the message. */
  readonly path: string;
  readonly text: string;
}

export interface ClusterCheckInputs {
  /** The create-cluster request (emrClusterRequest). */
  readonly request: Record<string, unknown>;
  /** The stage's artifacts bucket, where the bootstrap action must live. */
  readonly artifactsBucket: string;
  /** spark-jobs/*.py and spark-jobs/lakeplane_jobs/*.py. */
  readonly jobSources: readonly SourceFile[];
  /** spark-jobs/requirements-cluster.txt, or undefined when it is missing. */
  readonly requirements: string | undefined;
  /** emr/bootstrap/install-python-packages.sh, or undefined when it is missing. */
  readonly bootstrapScript: string | undefined;
  /** spark-jobs/lakeplane_jobs/hudi.py. */
  readonly hudiModule: string;
  /** shared/core/plan.ts HUDI_BUNDLE. */
  readonly hudiBundle: string;
}

/** The top-level modules a Python source imports (`import a.b, c as d`, `from a.b import x`; any indentation; not relative imports). */
export function pythonImports(text: string): string[] {
  const found = new Set<string>();
  for (const line of text.split('\n')) {
    const from = /^\s*from\s+([A-Za-z_][\w.]*)\s+import\b/.exec(line);
    if (from) {
      found.add(from[1]!.split('.')[0]!);
      continue;
    }
    const imp =
      /^\s*import\s+([A-Za-z_][\w.]*(?:\s+as\s+\w+)?(?:\s*,\s*[A-Za-z_][\w.]*(?:\s+as\s+\w+)?)*)\s*(?:#.*)?$/.exec(
        line,
      );
    if (imp) for (const part of imp[1]!.split(',')) found.add(part.trim().split(/\s+/)[0]!.split('.')[0]!);
  }
  return [...found].sort();
}

/** A PyPI name as pip compares them (PEP 503). */
export function normalizeDistribution(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

/** The exact pins (`name==version`) of a requirements file, by normalised name; other lines are ignored. */
export function exactPins(requirements: string): Map<string, string> {
  const pins = new Map<string, string>();
  for (const raw of requirements.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;,]+)$/.exec(line);
    if (m) pins.set(normalizeDistribution(m[1]!), m[2]!);
  }
  return pins;
}

/** A flat `NAME = {"k": "v", ...}` dict of string literals in a Python module. */
export function pythonStringDict(text: string, name: string): Record<string, string> {
  const body = new RegExp(`^${name}\\s*=\\s*\\{([^}]*)\\}`, 'm').exec(text)?.[1];
  if (body === undefined) throw new Error(`no ${name} = {...} in the module`);
  return Object.fromEntries([...body.matchAll(/"([^"]+)"\s*:\s*"([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** A `NAME = "value"` string constant of a Python module. */
export function pythonStringConstant(text: string, name: string): string | undefined {
  return new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, 'm').exec(text)?.[1];
}

interface Configuration {
  readonly Classification: string;
  readonly Properties?: Record<string, string>;
  readonly Configurations?: readonly Configuration[];
}

function classification(request: Record<string, unknown>, name: string): Configuration | undefined {
  return ((request.Configurations ?? []) as Configuration[]).find((c) => c.Classification === name);
}

/**
 * The modules the jobs import that the cluster must install, with the files importing each. Not
 * the standard library, not what EMR provides, not the jobs' own package or the scripts beside
 * the jobs (spark-jobs/<name>.py, importable as <name> from there).
 */
export function thirdPartyImports(sources: readonly SourceFile[]): Map<string, string[]> {
  const own = new Set([
    ...OWN_PACKAGES,
    ...sources.flatMap((f) => {
      const top = /^spark-jobs\/([A-Za-z_]\w*)\.py$/.exec(f.path);
      return top ? [top[1]!] : [];
    }),
  ]);
  const modules = new Map<string, string[]>();
  for (const file of sources)
    for (const m of pythonImports(file.text)) {
      if (m.startsWith('_') || PYTHON_STDLIB_MODULES.has(m) || EMR_PROVIDED.has(m) || own.has(m)) continue;
      modules.set(m, [...(modules.get(m) ?? []), file.path]);
    }
  return modules;
}

/** What the request lacks for the jobs, one sentence each; empty when it carries everything. */
export function clusterProblems(i: ClusterCheckInputs): string[] {
  const problems: string[] = [];
  const apps = ((i.request.Applications ?? []) as { Name: string }[]).map((a) => a.Name);

  // Python packages: each third-party import → an exact pin the bootstrap action installs.
  const pins = i.requirements === undefined ? new Map<string, string>() : exactPins(i.requirements);
  if (i.requirements === undefined) problems.push(`${CLUSTER_REQUIREMENTS} is missing`);
  const needed = thirdPartyImports(i.jobSources);
  for (const [module, files] of needed) {
    const dist = MODULE_DISTRIBUTIONS[module] ?? module;
    if (!pins.has(normalizeDistribution(dist)))
      problems.push(
        `${files.join(', ')} import${files.length > 1 ? '' : 's'} ${module}, but ${CLUSTER_REQUIREMENTS} has no exact pin ${dist}==<version> for the bootstrap action to install`,
      );
  }

  // The bootstrap action: in the stage's artifacts bucket, installing that file with pip -r.
  const scriptUri = `s3://${i.artifactsBucket}/${BOOTSTRAP_PREFIX}install-python-packages.sh`;
  const requirementsUri = `s3://${i.artifactsBucket}/${BOOTSTRAP_PREFIX}requirements-cluster.txt`;
  const actions = (i.request.BootstrapActions ?? []) as {
    ScriptBootstrapAction?: { Path?: string; Args?: string[] };
  }[];
  const action = actions.find((a) => a.ScriptBootstrapAction?.Path === scriptUri);
  if (!action)
    problems.push(
      `no bootstrap action runs ${scriptUri} (bootstrap actions: ${actions.map((a) => a.ScriptBootstrapAction?.Path).join(', ') || 'none'})`,
    );
  else if (action.ScriptBootstrapAction?.Args?.[0] !== requirementsUri)
    problems.push(
      `the bootstrap action must be given ${requirementsUri} (the requirements beside it), not ${action.ScriptBootstrapAction?.Args?.[0] ?? 'nothing'}`,
    );
  if (i.bootstrapScript === undefined) problems.push(`${BOOTSTRAP_SCRIPT} is missing`);
  else {
    const s = i.bootstrapScript;
    if (!/^set -euo pipefail$/m.test(s))
      problems.push(`${BOOTSTRAP_SCRIPT} does not fail loudly (set -euo pipefail)`);
    if (!/^\s*aws s3 cp\b[^\n]*"\$REQUIREMENTS_URI"/m.test(s) || !/REQUIREMENTS_URI="\$\{1[:?]/.test(s))
      problems.push(`${BOOTSTRAP_SCRIPT} does not copy its first argument (the requirements) with aws s3 cp`);
    if (!/^\s*sudo "?\$PYTHON"? -m pip install\b[^\n]*\s-r\s/m.test(s))
      problems.push(`${BOOTSTRAP_SCRIPT} does not install the requirements with python3 -m pip install -r`);
    const python = /^PYTHON=(\S+)$/m.exec(s)?.[1];
    const pysparkPython = classification(i.request, 'spark-env')?.Configurations?.find(
      (c) => c.Classification === 'export',
    )?.Properties?.PYSPARK_PYTHON;
    if (pysparkPython !== undefined && python !== pysparkPython)
      problems.push(
        `${BOOTSTRAP_SCRIPT} installs for ${python ?? 'an unnamed python'}, but the jobs run on PYSPARK_PYTHON=${pysparkPython}`,
      );
    const verified = /-c '([^']*)'/.exec(s)?.[1] ?? '';
    for (const module of needed.keys())
      if (!pythonImports(verified.replaceAll(';', '\n')).includes(module))
        problems.push(`${BOOTSTRAP_SCRIPT} does not check that ${module} imports after installing it`);
  }

  // The Glue Data Catalog as the Hive metastore, for Spark and for Hive.
  for (const c of ['spark-hive-site', 'hive-site'])
    if (
      classification(i.request, c)?.Properties?.['hive.metastore.client.factory.class'] !==
      GLUE_CLIENT_FACTORY
    )
      problems.push(`${c} does not set hive.metastore.client.factory.class=${GLUE_CLIENT_FACTORY}`);
  if (classification(i.request, 'hive-site') && !apps.includes('Hive'))
    problems.push('hive-site is configured, but Hive is not among the Applications');
  for (const app of ['Hadoop', 'Spark'])
    if (!apps.includes(app)) problems.push(`${app} is not among the Applications`);

  // The Hudi settings the jobs rely on, and the bundle on the classpath.
  const defaults = classification(i.request, 'spark-defaults')?.Properties ?? {};
  for (const [key, value] of Object.entries(pythonStringDict(i.hudiModule, 'HUDI_SPARK_CONF')))
    if (defaults[key] !== value)
      problems.push(
        `spark-defaults sets ${key}=${defaults[key] ?? '(nothing)'}, but the jobs use ${value} (lakeplane_jobs/hudi.py HUDI_SPARK_CONF)`,
      );
  const jars = (defaults['spark.jars'] ?? '').split(',').filter((j) => j !== '');
  if (!jars.includes(i.hudiBundle))
    problems.push(
      `spark-defaults spark.jars (${jars.join(',') || 'none'}) does not hold ${i.hudiBundle} (plan.ts HUDI_BUNDLE)`,
    );
  const jobsBundle = pythonStringConstant(i.hudiModule, 'EMR_HUDI_BUNDLE');
  if (jobsBundle !== i.hudiBundle)
    problems.push(
      `lakeplane_jobs/hudi.py EMR_HUDI_BUNDLE (${jobsBundle}) is not plan.ts HUDI_BUNDLE (${i.hudiBundle})`,
    );
  return problems;
}

/** The check's inputs from the repository's files. */
export function readClusterCheckInputs(
  repoRoot: string,
  request: Record<string, unknown>,
  artifactsBucket: string,
): ClusterCheckInputs {
  const read = (path: string) =>
    existsSync(join(repoRoot, path)) ? readFileSync(join(repoRoot, path), 'utf8') : undefined;
  const jobSources = ['spark-jobs', 'spark-jobs/lakeplane_jobs'].flatMap((dir) =>
    readdirSync(join(repoRoot, dir))
      .filter((f) => f.endsWith('.py'))
      .sort()
      .map((f) => ({ path: `${dir}/${f}`, text: readFileSync(join(repoRoot, dir, f), 'utf8') })),
  );
  return {
    request,
    artifactsBucket,
    jobSources,
    requirements: read(CLUSTER_REQUIREMENTS),
    bootstrapScript: read(BOOTSTRAP_SCRIPT),
    hudiModule: read('spark-jobs/lakeplane_jobs/hudi.py') ?? '',
    hudiBundle: HUDI_BUNDLE,
  };
}
