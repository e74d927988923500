import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Store } from '../store/store';
import { LogPruner, DEFAULT_LOG_PRUNER_OPTIONS } from './log-pruner';

class FakeClock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

function setup(clock: FakeClock) {
  const store = Store.open(':memory:', clock, { region: 'us-east-1', account: '123456789012' });
  const put = (group: string, stream: string, events: { timestamp: number; message: string }[]) =>
    store.tx(() => {
      store.logStore.createGroup(group, clock.now());
      const g = store.logStore.getGroup(group)!;
      store.logStore.createStream(g.id, stream, clock.now());
      store.logStore.putEvents(store.logStore.getStream(g.id, stream)!, events, clock.now());
    });
  return { store, put };
}

test('retention deletes only events older than the group retention, and keeps the byte counters right', async () => {
  const day = 1000;
  const clock = new FakeClock(100_000);
  const { store, put } = setup(clock);
  put('kept', 's', [{ timestamp: 1, message: 'ancient but no retention' }]);
  put('short', 's', [
    { timestamp: 100_000 - 5 * day, message: 'old' },
    { timestamp: 100_000 - 2 * day, message: 'older than one day' },
    { timestamp: 100_000 - day / 2, message: 'recent' },
  ]);
  store.tx(() => store.logStore.setRetention(store.logStore.getGroup('short')!.id, 1));
  const pruner = new LogPruner(store, pino({ level: 'silent' }), { ...DEFAULT_LOG_PRUNER_OPTIONS, dayMs: day, batchSize: 1 });
  assert.equal(await pruner.pass(), 2);
  const g = store.logStore.getGroup('short')!;
  assert.equal(g.storedBytes, Buffer.byteLength('recent'));
  const s = store.logStore.getStream(g.id, 's')!;
  assert.equal(s.storedBytes, Buffer.byteLength('recent'));
  assert.equal(s.firstEvent, 100_000 - day / 2);
  assert.equal(store.logStore.getGroup('kept')!.storedBytes, Buffer.byteLength('ancient but no retention'));
  assert.equal(await pruner.pass(), 0, 'a second pass finds nothing due');
  store.close();
});

test('the size cap deletes the oldest-ingested events of any group until the store fits', async () => {
  const clock = new FakeClock(1_000_000);
  const { store, put } = setup(clock);
  for (let i = 0; i < 10; i++) put(i % 2 ? 'a' : 'b', 's', [{ timestamp: clock.now(), message: `${i}`.padEnd(100, '.') }]);
  const pruner = new LogPruner(store, pino({ level: 'silent' }), { ...DEFAULT_LOG_PRUNER_OPTIONS, maxStoredBytes: 450, batchSize: 3 });
  await pruner.pass();
  assert.ok(store.logStore.totalBytes() <= 450);
  assert.ok(store.logStore.totalBytes() >= 300, 'deletes in batches, not everything');
  const left = store.logStore.groupEvents(store.logStore.getGroup('a')!.id, { streams: undefined, from: { ts: 0, id: 0 }, start: 0, end: Number.MAX_SAFE_INTEGER, limit: 100 });
  assert.ok(left.every((e) => Number(e.message[0]) >= 5), 'the newest survive');
  store.close();
});
