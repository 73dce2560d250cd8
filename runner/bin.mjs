#!/usr/bin/env node
// `npx ahi-web-retrieve …` from a checkout: runs runner/cli.ts with the loaders it needs (tsx for
// TypeScript, platform/register.mjs for the codecs' WASM URLs), in a child Node so its threads
// inherit them.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const { status, signal } = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    here('./platform/register.mjs'),
    here('./cli.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit', cwd: process.cwd() },
);
process.exit(signal ? 1 : (status ?? 1));
