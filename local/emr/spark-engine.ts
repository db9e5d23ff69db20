import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ContractSet } from '../../shared/core/contract/parse.js';
import { contractArtifact } from '../../shared/core/contract/parse.js';
import { type LoadManifestFile, parseManifest } from '../../shared/core/manifest.js';
import { parseS3Uri } from '../../shared/core/run-results.js';
import type { DirObjectStore } from '../object-store/dir-object-store.js';
import { SparkStepServer } from './spark-step-server.js';
import { findSparkToolchain, type SparkToolchain } from './spark-toolchain.js';
import type { JobStep, LocalStepEngine } from './step-engine.js';

/** A step the Spark job ended with an error (its result document says the same). */
export class SparkJobError extends Error {
  override readonly name: string;
  constructor(reason: string, message: string) {
    super(message);
    this.name = reason;
  }
}

/**
 * The Spark engine: the very spark-jobs EMR runs, in Spark local mode, on the very step arguments
 * the state machine built. The stage's bucket URIs (`s3://<bucket>/<key>`) become the workspace's
 * object store folders (`file://<objects>/<bucket>/<key>`), and an exact Bronze object version
 * (`--input` + `--input-version`, a boto3 copy on EMR) becomes that version's file, linked under
 * the key's own file name (Spark picks a codec by the name's extension: a `.ndjson.gz` must stay
 * `.gz`). A load's manifest (`--manifest`) becomes a local copy whose objects also carry
 * `localUri`, each version's file made the same way, which the job reads instead of copying the
 * version from S3. A failed step's message names the stage's URIs again, not the workspace's paths.
 */
export class SparkStepEngine implements LocalStepEngine {
  readonly name = 'spark';
  private server: SparkStepServer | undefined;
  private contractsWritten = false;

  constructor(
    private readonly home: string,
    private readonly store: DirObjectStore,
    private readonly contracts: ContractSet,
    private readonly artifactsBucket: string,
    private readonly toolchain: SparkToolchain = findSparkToolchain(),
  ) {}

  async run(step: JobStep): Promise<void> {
    await this.writeContracts();
    this.server ??= SparkStepServer.start(this.toolchain, this.home);
    const { argv, uris } = this.localArgv(step.argv);
    const answer = await this.server.run([step.script, ...argv]);
    if (answer.exitCode !== 0)
      throw new SparkJobError(
        answer.exitCode === 2 ? 'JobArgumentError' : 'JobFailure',
        stageUris(
          answer.error ?? `${step.script} exited ${answer.exitCode} (log: ${this.server.logFile})`,
          uris,
        ),
      );
  }

  /**
   * The job arguments with every stage URI turned into the workspace's folder for it, and what
   * each local URI stands for (to word a failure in the stage's URIs).
   */
  localArgv(argv: readonly string[]): { argv: string[]; uris: Map<string, string> } {
    const out: string[] = [];
    const uris = new Map<string, string>();
    const versionAt = argv.indexOf('--input-version');
    const version = versionAt >= 0 ? argv[versionAt + 1] : undefined;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (i === versionAt) {
        i += 1;
        continue;
      }
      if (!a.startsWith('s3://')) {
        out.push(a);
        continue;
      }
      if (argv[i - 1] === '--manifest') {
        const local = this.localManifest(a, uris);
        uris.set(local, a);
        out.push(local);
        continue;
      }
      const local =
        argv[i - 1] === '--input' && version !== undefined ? this.versionUri(a, version) : this.fileUri(a);
      uris.set(local, argv[i - 1] === '--input' && version !== undefined ? `${a}?versionId=${version}` : a);
      out.push(local);
    }
    return { argv: out, uris };
  }

  /**
   * The load's manifest as the job reads it here: a copy under `<home>/spark/manifests/` whose
   * objects also carry `localUri`, the `file:` URI of that exact version (spark-jobs
   * lakeplane_jobs/manifest.py), each put in `uris` for the object's `s3://…[?versionId=…]`.
   * A manifest that is missing or invalid, or names a version the store does not have, fails
   * the step here, in the stage's words.
   */
  private localManifest(uri: string, uris: Map<string, string>): string {
    const { bucket, key } = parseS3Uri(uri);
    const file = this.store.pathOf(bucket, key);
    if (!existsSync(file)) throw new SparkJobError('JobFailure', `the load manifest ${uri} does not exist`);
    let manifest: LoadManifestFile;
    try {
      manifest = parseManifest(readFileSync(file, 'utf8'), uri);
    } catch (e) {
      throw new SparkJobError('JobFailure', (e as Error).message);
    }
    const objects: LocalManifestObject[] = manifest.objects.map((o, i) => {
      const object = `s3://${o.bucket}/${o.key}`;
      const source = o.versionId ? `${object}?versionId=${o.versionId}` : object;
      if (!existsSync(this.store.pathOf(o.bucket, o.key, o.versionId)))
        throw new SparkJobError(
          'JobFailure',
          `the load manifest ${uri} lists ${source} (objects.${i}), which is not in the workspace's object store`,
        );
      const localUri = o.versionId ? this.versionUri(object, o.versionId) : this.fileUri(object);
      uris.set(localUri, source);
      return { ...o, localUri };
    });
    const dir = join(this.home, 'spark', 'manifests');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${encodeURIComponent(manifest.loadId)}.json`);
    // Renamed into place whole: a retry of the load may read it while this one is written.
    const part = `${path}.${process.pid}.part`;
    writeFileSync(part, `${JSON.stringify({ ...manifest, objects })}\n`);
    renameSync(part, path);
    return pathToFileURL(path).href;
  }

  /** An exact object version as a file named like its key (a hard link to the version's file). */
  private versionUri(uri: string, version: string): string {
    const { bucket, key } = parseS3Uri(uri);
    const dir = join(this.home, 'spark', 'inputs', bucket, version);
    const path = join(dir, basename(key));
    if (!existsSync(path)) {
      mkdirSync(dir, { recursive: true });
      const source = this.store.pathOf(bucket, key, version);
      try {
        linkSync(source, path);
      } catch {
        // A workspace spread over file systems: a copy, renamed into place whole (a process
        // killed mid-copy leaves no half file under the name).
        const part = `${path}.${process.pid}.part`;
        copyFileSync(source, part);
        renameSync(part, path);
      }
    }
    return pathToFileURL(path).href;
  }

  private fileUri(uri: string): string {
    const { bucket, key } = parseS3Uri(uri);
    const trimmed = key.replace(/\/+$/, '');
    const path = trimmed ? this.store.pathOf(bucket, trimmed) : join(this.store.root, bucket);
    const href = pathToFileURL(path).href;
    // A prefix keeps its trailing slash: the jobs check it.
    return uri.endsWith('/') ? `${href}/` : href;
  }

  /** The contracts as the jobs read them on EMR: JSON with defaults in the artifacts bucket. */
  private async writeContracts(): Promise<void> {
    if (this.contractsWritten) return;
    for (const c of this.contracts.datasets.values()) {
      const doc = contractArtifact(readFileSync(c.source, 'utf8'), c.source);
      await this.store.put(this.artifactsBucket, `contracts/${c.name}.json`, JSON.stringify(doc, null, 2));
    }
    this.contractsWritten = true;
  }

  async close(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}

/** A manifest object with the local copy of its version, as only this engine writes it. */
type LocalManifestObject = LoadManifestFile['objects'][number] & { readonly localUri: string };

/** The message with each local URI of the step (longest first) put back as the stage's URI. */
function stageUris(message: string, uris: ReadonlyMap<string, string>): string {
  let out = message;
  for (const [local, stage] of [...uris].sort((a, b) => b[0].length - a[0].length)) {
    out = out.split(local.replace(/\/$/, '')).join(stage.replace(/\/$/, ''));
  }
  return out;
}
