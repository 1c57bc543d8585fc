// `npm start` and `idp` compile only when a source file is newer than the last build.
// Paths are resolved from the package root, so it works from any working directory;
// compiler output goes to stderr so a CLI's stdout stays clean.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => join(root, path);
const marker = at('dist/src/main.js');
const roots = ['src', 'config', 'db', 'interactions', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map(at);

function newest(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

const built = existsSync(marker) ? statSync(marker).mtimeMs : 0;
if (built < Math.max(...roots.filter(existsSync).map(newest))) {
  console.error('building (tsc)…');
  execFileSync(process.execPath, [at('node_modules/typescript/bin/tsc'), '-p', at('tsconfig.build.json')], {
    cwd: root,
    stdio: ['ignore', 2, 2],
  });
}
