import type { VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pages of any props
export type Page = VNode<any>;

export function renderPage(page: Page): string {
  return `<!doctype html>${renderToString(page)}`;
}
