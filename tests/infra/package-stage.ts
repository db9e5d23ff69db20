/** Packages serverless.yml for one stage offline (osls + serverless-esbuild): no network, no AWS. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from './template.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const OSLS = join(ROOT, 'node_modules/osls/bin/serverless.js');

/** `osls package --stage <stage> --package <dir>`; returns the update-stack template it wrote. */
export async function packageStage(stage: string, dir: string): Promise<Template> {
  const { AWS_PROFILE, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, ...rest } = process.env;
  const run = promisify(execFile)(process.execPath, [OSLS, 'package', '--stage', stage, '--package', dir], {
    cwd: ROOT,
    env: {
      ...rest,
      // osls 4 has no telemetry or notifications; these are no-ops kept for serverless v3.
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      // Packaging needs no AWS access: make any accidental lookup fail fast instead of
      // picking up a developer's profile or waiting on the instance metadata service.
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      SLS_INTERACTIVE_SETUP_DISABLE: '1',
      CI: '1',
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  await run.catch((e: { stdout?: string; stderr?: string }) => {
    throw new Error(`osls package --stage ${stage} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  });
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}
