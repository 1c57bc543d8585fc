// Runs every *.test.ts under the given folders (default: test/) with node's test runner.
// Files run one at a time: suites start servers, browsers and SMTP sinks of their own.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return find(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['test'];
const files = roots.flatMap((r) => (statSync(r).isDirectory() ? find(r) : [r])).sort();
if (!files.length) {
  console.error('no test files found under', roots.join(' '));
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // a test that hangs (it happened: a Node crypto deadlock) fails after 5 min instead of
  // using up the CI run's time
  ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-timeout=300000', '--test-reporter=spec', ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
