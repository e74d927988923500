import assert from 'node:assert/strict';
import test from 'node:test';
import { SpreadResync } from './resync';

const names = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);

/** Steps the resync through time like the reconciler's step timer; returns when each key came due. */
function run(r: SpreadResync, from: number, until: number, list: () => string[]): Map<string, number[]> {
  const at = new Map<string, number[]>();
  for (let now = from; now < until; now += r.stepMs) for (const k of r.due(now, list)) at.set(k, [...(at.get(k) ?? []), now]);
  return at;
}

test('every service comes due once a period, spread evenly over it, a bounded number per step', () => {
  const r = new SpreadResync(15_000);
  assert.equal(r.stepMs, 100);
  r.begin(0);
  const keys = names(1000);
  let lists = 0;
  const at = run(r, 0, 30_000, () => (lists++, keys));
  assert.equal(lists, 1, 'listed once, when the second period began (the first was begun empty: everything had just been marked)');
  for (const k of keys) {
    const times = at.get(k)!;
    assert.equal(times.length, 1, `${k} due once in the second period (the first was begun empty)`);
    assert.ok(times[0]! >= 15_000 && times[0]! < 30_000);
  }
  // Per step: 1000 services over 150 steps, so 6 or 7 each.
  const perStep = new Map<number, number>();
  for (const [, [t]] of at) perStep.set(t!, (perStep.get(t!) ?? 0) + 1);
  assert.ok(Math.max(...perStep.values()) <= Math.ceil(1000 / 150) + 1, `at most a step's share at once: ${Math.max(...perStep.values())}`);
  assert.equal(perStep.size, 150, 'every step hands some out');
  // The i-th service comes at its own phase: order kept.
  assert.ok(at.get('s0')![0]! < at.get('s500')![0]! && at.get('s500')![0]! < at.get('s999')![0]!);
});

test('a stalled loop loses nothing: what a period had not handed out comes before the next list', () => {
  const r = new SpreadResync(1000);
  r.begin(0);
  const first = r.due(1000, () => names(10));
  assert.ok(first.length > 0 && first.length < 10, 'the new period hands out only its first share');
  // The loop stalls past the whole period: the rest comes at once, then the new period starts.
  const rest = r.due(2500, () => ['new']);
  assert.deepEqual([...first, ...rest], names(10));
  assert.deepEqual(r.due(2500 + r.stepMs, () => []), ['new']);
});

test('services created or removed between periods: the next list decides', () => {
  const r = new SpreadResync(1000);
  r.begin(0);
  let keys = ['a', 'b'];
  const seen = run(r, 1000, 2000, () => keys);
  assert.deepEqual([...seen.keys()], ['a', 'b']);
  keys = ['b', 'c'];
  assert.deepEqual([...run(r, 2000, 3000, () => keys).keys()], ['b', 'c']);
});

test('a short period (tests) still steps: at least twenty steps a period, at least 1 ms each', () => {
  assert.equal(new SpreadResync(200).stepMs, 10);
  assert.equal(new SpreadResync(5).stepMs, 1);
});
