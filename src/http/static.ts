import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Middleware } from 'koa';
import { projectRoot } from '../paths.js';

const types: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

/** Browser libraries served from our own origin (no CDN): asset name → file in node_modules. */
function vendorAssets(): Record<string, string> {
  const require = createRequire(import.meta.url);
  // the package's CommonJS entry is script/index.js; its UMD bundle sits beside it
  const browser = dirname(dirname(require.resolve('@simplewebauthn/browser')));
  return { 'simplewebauthn-browser.js': join(browser, 'dist', 'bundle', 'index.umd.min.js') };
}

/** The hosted pages' few assets, read once into memory and served under /assets/. */
export function staticAssets(dir = join(projectRoot, 'interactions', 'public')): Middleware {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const ext = name.slice(name.lastIndexOf('.'));
    if (types[ext]) files.set(`/assets/${name}`, { body: readFileSync(join(dir, name)), type: types[ext] });
  }
  for (const [name, path] of Object.entries(vendorAssets())) {
    files.set(`/assets/${name}`, { body: readFileSync(path), type: types['.js']! });
  }
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}
