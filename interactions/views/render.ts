// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any component props
import type { VNode } from "preact";
import { renderToString } from 'preact-render-to-string';

export function renderPage(page: VNode<any>): string {
  return `<!doctype html>${renderToString(page)}`;
}
