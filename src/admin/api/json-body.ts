import type { Context } from 'koa';
import { AdminError } from '../errors.js';

/** Admin API bodies are small; anything larger is refused before it is buffered. */
export const JSON_LIMIT_BYTES = 16 * 1024;

export class BodyError extends AdminError {
  constructor(status: number, code: string, detail: string) {
    super(status, code, 'error.malformed', detail);
  }
}

/** Reads an application/json body that must be one JSON object. An empty body reads as {}. */
export async function readJson(ctx: Context): Promise<Record<string, unknown>> {
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > JSON_LIMIT_BYTES) throw new BodyError(413, 'payload_too_large', `the body is larger than ${JSON_LIMIT_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > JSON_LIMIT_BYTES) throw new BodyError(413, 'payload_too_large', `the body is larger than ${JSON_LIMIT_BYTES} bytes`);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  if (ctx.request.type !== 'application/json') throw new BodyError(415, 'unsupported_media_type', 'the body must be application/json');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new BodyError(400, 'malformed_body', 'the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BodyError(400, 'malformed_body', 'the body is not valid JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BodyError(400, 'malformed_body', 'the body must be a JSON object');
  return value as Record<string, unknown>;
}
