#!/usr/bin/env node
// The operator CLI. Compiles the TypeScript sources first when they are newer than
// dist/ (scripts/build-if-needed.mjs), so it works right after `npm install`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'dist', 'src', 'cli', 'main.js');

try {
  // a child process so the build's output (tsc writes to stdout) lands on stderr and
  // stdout carries only the command's result; cwd = package root for its relative paths
  execFileSync(process.execPath, [join(root, 'scripts', 'build-if-needed.mjs')], { cwd: root, stdio: ['ignore', 2, 2] });
  if (!existsSync(entry)) {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
      cwd: root,
      stdio: ['ignore', 2, 2],
    });
  }
} catch {
  if (!existsSync(entry)) {
    console.error('idp: building the TypeScript sources failed (see above); run `npm run build` in ' + root);
    process.exit(1);
  }
  // tsc emits despite type errors; the compiled output is current, so carry on
  console.error('idp: warning: the build reported errors (see above); using the compiled output in dist/');
}

const { main } = await import(pathToFileURL(entry).href);
process.exitCode = await main(process.argv.slice(2));
