#!/usr/bin/env node
// The local Spark toolchain of spark-jobs/: a Python venv with PySpark 3.5.6 (EMR 7.12's Spark),
// Great Expectations and boto3 at the cluster's pins, and the Hudi 1.0.2 bundle jar.
//
//   npm run setup:spark                 install (or find) it; the last stdout line is the path of toolchain.json
//   node scripts/setup-spark.mjs --print   print toolchain.json; exit 1 when it is not installed
//
// Where: $LAKEPLANE_TOOLCHAIN_DIR if set, else ~/.cache/lakeplane/spark-toolchain/<hash>, <hash> being
// a short hash of spark-jobs/requirements-cluster.txt, requirements-local.txt and pom.xml (so new pins
// get a new directory). toolchain.json is written last, after a check that the venv imports pyspark,
// great_expectations and boto3 at the pinned versions; while it is there and valid this script only
// reads it. A directory without it (an interrupted install) is wiped and installed again.
// Needs Java 17, Python 3.9+ with venv, Maven; says how to install whichever is missing.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SPARK_JOBS = path.join(ROOT, 'spark-jobs');
const PIN_FILES = ['requirements-cluster.txt', 'requirements-local.txt', 'pom.xml'];
const MARKER = 'toolchain.json';
const LAYOUT = 2; // bump when the directory layout or the marker's fields change
const HUDI_JAR = 'hudi-spark3.5-bundle_2.12-1.0.2.jar';

class Refusal extends Error {}

function pinsHash() {
  const h = createHash('sha256');
  h.update(`layout ${LAYOUT}\n`);
  for (const name of PIN_FILES) {
    h.update(`${name}\n`);
    h.update(fs.readFileSync(path.join(SPARK_JOBS, name)));
  }
  return h.digest('hex').slice(0, 12);
}

function toolchainDir(hash) {
  const fromEnv = process.env.LAKEPLANE_TOOLCHAIN_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  return path.join(os.homedir(), '.cache', 'lakeplane', 'spark-toolchain', hash);
}

/** `name==version` pins of a requirements file (no -r, comments or blanks). */
function pins(file) {
  const out = {};
  for (const raw of fs.readFileSync(path.join(SPARK_JOBS, file), 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^([A-Za-z0-9._-]+)==(\S+)$/.exec(line);
    if (m) out[m[1].toLowerCase().replace(/[._]/g, '-')] = m[2];
  }
  return out;
}

function expectedVersions() {
  const all = { ...pins('requirements-cluster.txt'), ...pins('requirements-local.txt') };
  const pom = fs.readFileSync(path.join(SPARK_JOBS, 'pom.xml'), 'utf8');
  const hudi = /<hudi\.version>([^<]+)<\/hudi\.version>/.exec(pom)?.[1];
  return { pyspark: all.pyspark, greatExpectations: all['great-expectations'], boto3: all.boto3, hudi };
}

/** The marker, when it is there, of these pins, and everything it names exists; else null. */
function validMarker(dir, hash) {
  let doc;
  try {
    doc = JSON.parse(fs.readFileSync(path.join(dir, MARKER), 'utf8'));
  } catch {
    return null;
  }
  if (!doc || doc.layout !== LAYOUT || doc.pinsHash !== hash) return null;
  for (const key of ['python', 'sparkSubmit', 'sparkHome', 'hudiJar', 'java']) {
    if (typeof doc[key] !== 'string' || !fs.existsSync(doc[key])) return null;
  }
  if (!doc.env || typeof doc.env !== 'object') return null;
  return doc;
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', ...opts });
}

// --- prerequisites ---

function findJava() {
  const advice =
    'Java 17 is needed: apt-get install -y openjdk-17-jdk-headless (or set JAVA_HOME to a JDK 17)';
  const candidate = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  const out = run(candidate, ['-version']);
  if (out.error || out.status !== 0) {
    throw new Refusal(
      `${advice}; ${process.env.JAVA_HOME ? `JAVA_HOME=${process.env.JAVA_HOME} has no bin/java` : 'no java on the PATH'}`,
    );
  }
  const text = `${out.stderr}${out.stdout}`;
  const m = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(text);
  const version = /version "([^"]+)"/.exec(text)?.[1] ?? 'unknown';
  let major = m ? Number(m[1]) : 0;
  if (major === 1 && m?.[2]) major = Number(m[2]); // 1.8.0_x
  if (major !== 17) throw new Refusal(`${advice}; ${candidate} is Java ${version}`);
  let javaPath = candidate;
  if (!path.isAbsolute(javaPath)) {
    const which = run('sh', ['-c', 'command -v "$0"', candidate]);
    javaPath = which.stdout.trim() || candidate;
  }
  javaPath = fs.realpathSync(javaPath);
  return { java: javaPath, javaHome: path.dirname(path.dirname(javaPath)), version };
}

function findPython() {
  const advice =
    'Python 3.9 or later with its venv module is needed: apt-get install -y python3 python3-venv (or set LAKEPLANE_PYTHON to such a python3)';
  const candidate = process.env.LAKEPLANE_PYTHON || 'python3';
  const out = run(candidate, [
    '-c',
    "import sys; print('%d.%d.%d' % sys.version_info[:3]); import venv, ensurepip",
  ]);
  if (out.error) throw new Refusal(`${advice}; ${candidate} was not found`);
  const version = out.stdout.trim().split('\n')[0] || '';
  const [major, minor] = version.split('.').map(Number);
  if (!(major === 3 && minor >= 9)) {
    throw new Refusal(`${advice}; ${candidate} is Python ${version || '(unknown version)'}`);
  }
  if (out.status !== 0) {
    throw new Refusal(
      `${advice}; ${candidate} (Python ${version}) has no working venv/ensurepip: apt-get install -y python3-venv (or python${major}.${minor}-venv)`,
    );
  }
  return { python: candidate, version };
}

function findMaven() {
  const out = run('mvn', ['-v']);
  if (out.error || out.status !== 0)
    throw new Refusal('Maven is needed to fetch the Hudi bundle: apt-get install -y maven');
}

// --- install ---

function step(cmd, args, logFile, opts = {}) {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn(cmd, args, { stdio: ['ignore', log, log], ...opts });
    child.on('error', (e) => {
      fs.closeSync(log);
      reject(new Refusal(`${cmd} could not start: ${e.message}`));
    });
    child.on('close', (code) => {
      fs.closeSync(log);
      if (code === 0) return resolve();
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-25).join('\n');
      reject(
        new Refusal(
          `${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (exit ${code}); ${logFile} ends:\n${tail}`,
        ),
      );
    });
  });
}

function lock(dir) {
  const lockDir = `${dir}.lock`;
  fs.mkdirSync(path.dirname(lockDir), { recursive: true });
  for (let i = 0; ; i++) {
    try {
      fs.mkdirSync(lockDir);
      fs.writeFileSync(path.join(lockDir, 'pid'), String(process.pid));
      return () => fs.rmSync(lockDir, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      let holder = 0;
      try {
        holder = Number(fs.readFileSync(path.join(lockDir, 'pid'), 'utf8'));
      } catch {}
      let alive = false;
      if (holder) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch {}
      }
      if (!alive && i > 2) fs.rmSync(lockDir, { recursive: true, force: true });
      if (i === 3)
        process.stderr.write(`setup-spark: waiting for another install of ${dir} (pid ${holder || '?'})\n`);
      spawnSync('sleep', ['1']);
    }
  }
}

async function install(dir, hash) {
  const java = findJava();
  const python = findPython();
  findMaven();
  const expected = expectedVersions();

  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, 'logs'), { recursive: true });
  const started = Date.now();
  const say = (m) => process.stderr.write(`setup-spark: ${m}\n`);
  say(
    `installing into ${dir} (Python ${python.version}, Java ${java.version}); logs in ${path.join(dir, 'logs')}`,
  );

  const venv = path.join(dir, 'venv');
  await step(python.python, ['-m', 'venv', venv], path.join(dir, 'logs', 'venv.log'));
  const py = path.join(venv, 'bin', 'python');
  const env = { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1' };
  const jars = path.join(dir, 'jars');
  // pip (PySpark is a ~300 MB download) and Maven (the ~110 MB bundle) at the same time.
  await Promise.all([
    step(
      py,
      ['-m', 'pip', 'install', '-r', path.join(SPARK_JOBS, 'requirements-local.txt')],
      path.join(dir, 'logs', 'pip.log'),
      { env },
    ),
    step(
      'mvn',
      [
        '-q',
        '-B',
        '-f',
        path.join(SPARK_JOBS, 'pom.xml'),
        'dependency:copy-dependencies',
        `-DoutputDirectory=${jars}`,
      ],
      path.join(dir, 'logs', 'mvn.log'),
      { env: { ...process.env, JAVA_HOME: java.javaHome } },
    ),
  ]);

  const hudiJar = path.join(jars, HUDI_JAR);
  if (!fs.existsSync(hudiJar))
    throw new Refusal(
      `Maven finished but ${hudiJar} is not there (see ${path.join(dir, 'logs', 'mvn.log')})`,
    );
  const check = run(
    py,
    [
      '-c',
      "import json, sys, pyspark, great_expectations, boto3; print(json.dumps({'python': '%d.%d.%d' % sys.version_info[:3], " +
        "'pyspark': pyspark.__version__, 'greatExpectations': great_expectations.__version__, 'boto3': boto3.__version__}))",
    ],
    { env: { ...process.env, GX_ANALYTICS_ENABLED: 'False' } },
  );
  if (check.status !== 0)
    throw new Refusal(
      `the venv does not import pyspark, great_expectations and boto3:\n${check.stderr.trim()}`,
    );
  const found = JSON.parse(check.stdout.trim().split('\n').pop());
  for (const k of ['pyspark', 'greatExpectations', 'boto3']) {
    if (found[k] !== expected[k])
      throw new Refusal(`the venv has ${k} ${found[k]}, the pins say ${expected[k]}`);
  }
  const sparkSubmit = path.join(venv, 'bin', 'spark-submit');
  if (!fs.existsSync(sparkSubmit)) throw new Refusal(`PySpark installed no ${sparkSubmit}`);
  const sparkHome = path.join(
    venv,
    'lib',
    `python${found.python.split('.').slice(0, 2).join('.')}`,
    'site-packages',
    'pyspark',
  );
  if (!fs.existsSync(path.join(sparkHome, 'bin', 'spark-class')))
    throw new Refusal(`no Spark at ${sparkHome}`);

  const marker = {
    layout: LAYOUT,
    pinsHash: hash,
    dir,
    python: py,
    sparkSubmit,
    sparkHome,
    hudiJar,
    java: java.java,
    javaHome: java.javaHome,
    // What a process that runs sparkSubmit needs in its environment: the venv's spark-submit
    // finds Spark with $PYSPARK_PYTHON (python3 from the PATH has no PySpark) and runs the job
    // file with it; JAVA_HOME picks the JDK 17.
    env: { PYSPARK_PYTHON: py, PYSPARK_DRIVER_PYTHON: py, SPARK_HOME: sparkHome, JAVA_HOME: java.javaHome },
    versions: {
      python: found.python,
      java: java.version,
      spark: found.pyspark,
      pyspark: found.pyspark,
      hudi: expected.hudi,
      greatExpectations: found.greatExpectations,
      boto3: found.boto3,
    },
    installedAt: new Date().toISOString(),
    installSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  const tmp = path.join(dir, `${MARKER}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(marker, null, 2)}\n`);
  fs.renameSync(tmp, path.join(dir, MARKER));
  say(`done in ${marker.installSeconds} s`);
  return marker;
}

async function main(argv) {
  const unknown = argv.filter((a) => a !== '--print');
  if (unknown.length)
    throw new Refusal(`unknown argument ${unknown[0]}; usage: node scripts/setup-spark.mjs [--print]`);
  const hash = pinsHash();
  const dir = toolchainDir(hash);
  if (argv.includes('--print')) {
    const doc = validMarker(dir, hash);
    if (!doc) {
      process.stderr.write(`the local Spark toolchain is not installed (${dir}): npm run setup:spark\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  if (!validMarker(dir, hash)) {
    const unlock = lock(dir);
    try {
      if (!validMarker(dir, hash)) await install(dir, hash); // another process may have finished it meanwhile
    } finally {
      unlock();
    }
  }
  process.stdout.write(`${path.join(dir, MARKER)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`setup-spark: ${e instanceof Refusal ? e.message : e?.stack || e}\n`);
    process.exit(1);
  },
);
