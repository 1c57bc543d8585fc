import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSemaphore } from '../../src/util/semaphore.js';

/** Tasks that finish when told to, recording how many run at once. */
function tasks() {
  let running = 0;
  let most = 0;
  const order: string[] = [];
  const release = new Map<string, () => void>();
  const task = (name: string) => async () => {
    running++;
    most = Math.max(most, running);
    order.push(name);
    await new Promise<void>((r) => release.set(name, r));
    running--;
  };
  const tick = () => new Promise((r) => setImmediate(r));
  return { task, release, order, tick, most: () => most };
}

describe('semaphore', () => {
  it('runs at most `max` tasks at once, first come first served', async () => {
    const run = createSemaphore(2);
    const t = tasks();
    const all = ['a', 'b', 'c', 'd'].map((n) => run(t.task(n)));
    await t.tick();
    assert.deepEqual(t.order, ['a', 'b']);
    t.release.get('a')!();
    await t.tick();
    assert.deepEqual(t.order, ['a', 'b', 'c']);
    t.release.get('b')!();
    t.release.get('c')!();
    await t.tick();
    t.release.get('d')!();
    await Promise.all(all);
    assert.equal(t.most(), 2);
  });

  it('a caller arriving while a slot is handed over does not take it too', async () => {
    // the hand-over spans a few microtasks; a caller arriving at each depth of them in turn
    for (let depth = 0; depth < 12; depth++) {
      const run = createSemaphore(1);
      const t = tasks();
      const first = run(t.task('a'));
      const second = run(t.task('b'));
      await t.tick();
      t.release.get('a')!();
      for (let i = 0; i < depth; i++) await Promise.resolve();
      const third = run(t.task('c'));
      await t.tick();
      assert.equal(t.most(), 1, `two tasks at once when the third caller came ${depth} microtasks after the release`);
      assert.deepEqual(t.order, ['a', 'b']);
      t.release.get('b')!();
      await t.tick();
      t.release.get('c')!();
      await Promise.all([first, second, third]);
      assert.deepEqual(t.order, ['a', 'b', 'c']);
    }
  });

  it('frees the slot when a task fails', async () => {
    const run = createSemaphore(1);
    await assert.rejects(run(async () => Promise.reject(new Error('boom'))), /boom/);
    assert.equal(await run(async () => 42), 42);
  });
});
