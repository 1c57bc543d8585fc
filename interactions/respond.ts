import type { Context } from 'koa';
import type { VNode } from 'preact';
import { renderPage } from './views/render.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any component props
export function sendPage(ctx: Context, status: number, page: VNode<any>): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = renderPage(page);
}
