import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openApiDocument } from '../../src/admin/api/openapi.js';
import { apiRoutes } from '../../src/admin/api/router.js';

describe('admin API OpenAPI document', () => {
  const doc = openApiDocument('https://id.example.com');
  const documented = new Set(
    Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)),
  );
  const routed = new Set(apiRoutes.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`));

  it('documents every route of the router', () => {
    for (const op of routed) assert.ok(documented.has(op), `${op} is missing from the OpenAPI document`);
  });
  it('documents no route the router lacks', () => {
    for (const op of documented) assert.ok(routed.has(op), `${op} is documented but not routed`);
  });
  it('is OpenAPI 3.1 with unique operation ids and declared path parameters', () => {
    assert.equal(doc.openapi, '3.1.0');
    const ids = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { operationId: string; parameters: { name: string; in: string }[] }>>)) {
      for (const op of Object.values(ops)) {
        assert.ok(!ids.has(op.operationId), `duplicate operationId ${op.operationId}`);
        ids.add(op.operationId);
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const declared = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(declared.sort(), inPath.sort(), `${path}: path parameters`);
      }
    }
  });
});
