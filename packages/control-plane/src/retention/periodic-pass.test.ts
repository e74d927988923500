import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PeriodicPass } from './periodic-pass';

test('concurrent pass() calls share the pass in flight; a failed pass is reported and the next one runs', async () => {
  let runs = 0;
  const errors: unknown[] = [];
  let release!: () => void;
  const p = new PeriodicPass(
    async () => {
      runs++;
      if (runs === 2) throw new Error('boom');
      await new Promise<void>((r) => (release = r));
      return runs;
    },
    60_000,
    (e) => errors.push(e),
  );
  const a = p.pass();
  const b = p.pass();
  assert.equal(a, b);
  release();
  assert.equal(await a, 1);
  await assert.rejects(p.pass(), /boom/);
  const c = p.pass();
  release();
  assert.equal(await c, 3);
  assert.equal(errors.length, 0, 'errors of direct pass() calls go to the caller');
});

test('start runs a pass at once, failures go to onError, stop waits for the pass in flight and ends the loop', async () => {
  const errors: unknown[] = [];
  let runs = 0;
  let release!: () => void;
  const p = new PeriodicPass(
    async () => {
      runs++;
      if (runs === 1) throw new Error('first');
      await new Promise<void>((r) => (release = r));
      return runs;
    },
    1,
    (e) => errors.push(e),
  );
  p.start();
  for (const deadline = Date.now() + 5_000; runs < 2 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 5));
  assert.equal(runs, 2);
  assert.match(String(errors[0]), /first/);
  let stopped = false;
  const stopping = p.stop().then(() => (stopped = true));
  assert.equal(p.stopped, true);
  await new Promise((r) => setImmediate(r));
  assert.equal(stopped, false, 'stop waits for the pass in flight');
  release();
  await stopping;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(runs, 2, 'no pass after stop');
});
