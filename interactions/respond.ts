import type { Context } from 'koa';
import type { Page } from "./views/render.js";
import { renderPage } from './views/render.js';


export function sendPage(ctx: Context, status: number, page: Page): void {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = renderPage(page);
}

/** A JSON answer that no cache may keep (WebAuthn options, the strength gauge). */
export function sendJson(ctx: Context, body: unknown): void {
  ctx.set('cache-control', 'no-store');
  ctx.type = 'application/json';
  ctx.body = body;
}

/** 303 See Other: after a POST the browser GETs the next page (koa's redirect sets 302). */
export function seeOther(ctx: Context, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}
