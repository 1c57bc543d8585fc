import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Middleware } from 'koa';
import { projectRoot } from '../paths.js';

const types: Record<string, string> = { '.css': 'text/css; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml' };

/** The hosted pages' few assets, read once into memory and served under /assets/. */
export function staticAssets(dir = join(projectRoot, 'interactions', 'public')): Middleware {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const ext = name.slice(name.lastIndexOf('.'));
    if (types[ext]) files.set(`/assets/${name}`, { body: readFileSync(join(dir, name)), type: types[ext] });
  }
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.type = file.type;
    ctx.set('cache-control', 'public, max-age=3600');
    ctx.body = file.body;
  };
}
