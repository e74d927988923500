import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/store';
import { openStoreTail } from './store-tail';
import type { LogChunkOut } from './log-broker';

const cfg = { group: '/g', streamPrefix: 'p', createGroup: false, region: 'us-east-1', mode: 'blocking' as const, maxBufferBytes: 1 << 20 };

test('a follow of an awslogs container: the last N stored events, then new ones as they are stored', async () => {
  const store = Store.open(':memory:', { now: () => Date.now() }, { region: 'us-east-1', account: '123456789012' });
  const put = (messages: string[]) =>
    store.tx(() => {
      store.logStore.createGroup('/g', 0);
      const g = store.logStore.getGroup('/g')!;
      store.logStore.createStream(g.id, 'p/web/t1', 0);
      store.logStore.putEvents(store.logStore.getStream(g.id, 'p/web/t1')!, messages.map((message, i) => ({ timestamp: Date.now() + i, message })), Date.now());
    });
  put(['a', 'b', 'c']);
  const stream = openStoreTail(store, { taskId: 't1', containerName: 'web', cfg, tail: 2, sinceMs: 0, pollMs: 10, settleMs: 50 });
  let out = '';
  stream.on('data', (c: LogChunkOut) => (out += c.data));
  const until = async (text: string) => {
    const deadline = Date.now() + 5000;
    while (out !== text) {
      if (Date.now() > deadline) throw new Error(`waited for ${JSON.stringify(text)}, got ${JSON.stringify(out)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  await until('b\nc\n');
  put(['d']);
  await until('b\nc\nd\n');
  // No task in the store: the container counts as stopped, so the tail ends once it settles.
  const ended = new Promise((r) => stream.once('end', r));
  await ended;
  store.close();
});
