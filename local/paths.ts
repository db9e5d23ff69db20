/**
 * Files lakeplane reads from its own package at run time. They resolve from this module's URL,
 * which the built CLI (scripts/build-cli.mjs) keeps pointing at this source file.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: the folder of package.json, datasets/, statemachines/ and spark-jobs/. */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The contracts that ship with lakeplane (LAKEPLANE_DATASETS or --datasets point elsewhere). */
export const DEFAULT_DATASETS_DIR = join(PACKAGE_ROOT, 'datasets');
export const LOAD_DATASET_DEFINITION = join(PACKAGE_ROOT, 'statemachines', 'load-dataset.asl.json');
export const ROLLBACK_DATASET_DEFINITION = join(PACKAGE_ROOT, 'statemachines', 'rollback-dataset.asl.json');
export const QUERY_DATASET_DEFINITION = join(PACKAGE_ROOT, 'statemachines', 'query-dataset.asl.json');
