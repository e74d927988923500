import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';
import { ReplySignal } from './reply-signal';

// The PostgreSQL bridge's wake-up (reply-signal.ts): the caller reads the
// word, drains the reply port, then sleeps on what it read; the worker posts,
// then raises. A reply posted after the drain and before the sleep must not
// leave the caller asleep: that lost wake-up was the 60 s stall of the
// high-availability test (docs/design/high-availability.md).

test('a reply raised between the caller reading the word and its wait never lets it sleep, on the first round trip or any later one', () => {
  const signal = new ReplySignal();
  for (let round = 1; round <= 5; round++) {
    const seen = signal.snapshot();
    // ... the caller drains the port and finds nothing; the worker posts its reply and raises now ...
    signal.raise();
    // A word set to a fixed value on each reply held it from round 1 on: round 2's wait slept out its timeout.
    assert.equal(signal.wait(seen, 2000), 'not-equal', `round ${round}`);
  }
});

test('a caller asleep before the reply is woken by the raise from the worker thread', async () => {
  const signal = new ReplySignal();
  const seen = signal.snapshot();
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { ReplySignal } = require(workerData.module);
     const s = new ReplySignal(workerData.buffer);
     setTimeout(() => s.raise(), 50);`,
    { eval: true, workerData: { module: path.join(__dirname, 'reply-signal.js'), buffer: signal.buffer } },
  );
  try {
    assert.equal(signal.wait(seen, 30_000), 'ok');
    assert.notEqual(signal.snapshot(), seen);
  } finally {
    await worker.terminate();
  }
});

test('thousands of round trips with a worker, the caller preempted between drain and wait: no wait ever sleeps past a reply', async () => {
  // The bridge's loop, with a pause (up to 50 us) where a loaded machine deschedules the caller: the window of the race.
  const signal = new ReplySignal();
  const channel = new MessageChannel();
  const worker = new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const { ReplySignal } = require(workerData.module);
     const s = new ReplySignal(workerData.buffer);
     parentPort.on('message', (id) => setImmediate(() => { workerData.replies.postMessage(id); s.raise(); }));`,
    { eval: true, workerData: { module: path.join(__dirname, 'reply-signal.js'), buffer: signal.buffer, replies: channel.port2 }, transferList: [channel.port2] },
  );
  await new Promise((resolve) => worker.once('online', resolve));
  let sleptOut = 0;
  try {
    for (let id = 1; id <= 3000 && sleptOut === 0; id++) {
      worker.postMessage(id);
      for (let answered = false; !answered; ) {
        const seen = signal.snapshot();
        for (let m = receiveMessageOnPort(channel.port1); m; m = receiveMessageOnPort(channel.port1)) answered ||= m.message === id;
        if (answered) break;
        const until = process.hrtime.bigint() + BigInt(Math.floor(Math.random() * 50_000));
        while (process.hrtime.bigint() < until);
        // The reply is at most a few ms away: a wait that runs out its 5 s missed its wake-up.
        if (signal.wait(seen, 5000) === 'timed-out') sleptOut++;
      }
    }
  } finally {
    await worker.terminate();
    channel.port1.close();
  }
  assert.equal(sleptOut, 0, 'waits that slept past their reply');
});
