import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { arns, defaultArnContext, systemClock } from '@stevedore/core';
import type { UpdateTaskStatusResponse, WireTaskStatus } from '@stevedore/proto';
import { Store } from '../store/store';
import { testContainer, testInstance, testTask } from '../testing/task-builder';
import { grpcError, status } from './grpc-errors';
import { RefusalLog } from './refusal-log';
import { ReportIngest, DEFAULT_INGEST_SLICE, type IngestSlice } from './report-ingest';
import type { UnaryContext } from './unary-handler';
import { runningContainer, runningReport } from '../testing/wire-reports';

// UpdateTaskStatus batches received in one turn are written together, but
// one transaction takes at most a slice of them; the rest follow a turn later.

const silent = pino({ level: 'silent' });

/** A store with `n` instances i0..i(n-1) in cluster c, each with one PENDING task t0..t(n-1); store.tx counted. */
function setup(n: number, slice: IngestSlice) {
  const store = Store.open(':memory:', systemClock, defaultArnContext);
  store.tx(() => {
    store.clusters.upsert({ name: 'c', status: 'ACTIVE', tags: [], settings: [], createdAt: 1 });
    for (let i = 0; i < n; i++) {
      store.instances.put(testInstance(`i${i}`, 'c'));
      store.tasks.insert(testTask({ id: `t${i}`, containerInstanceId: `i${i}`, lastStatus: 'PENDING', containers: [testContainer('app', { status: 'CREATED' })], seq: store.tasks.nextSeq() }));
    }
  });
  const tx = { count: 0, failOn: 0 };
  const realTx = store.tx.bind(store);
  store.tx = <T>(fn: () => T): T => {
    tx.count++;
    return realTx(() => {
      const r = fn();
      // Fails at the end, after the batches wrote: the rollback must undo them.
      if (tx.count === tx.failOn) throw new Error('disk I/O error');
      return r;
    });
  };
  const ingest = new ReportIngest(store, defaultArnContext, silent, new RefusalLog(silent, () => Date.now()), slice);
  return { store, tx, ingest };
}

function ctx(instanceId: string): UnaryContext {
  return { peer: { cluster: 'c', instanceId, notAfter: Date.now() + 60_000, serial: '1' }, refuse: (code, details) => grpcError(code, details) };
}

function running(taskId: string): WireTaskStatus {
  return runningReport(arns.task(defaultArnContext, 'c', taskId), [runningContainer('app', { runtime_id: 'r1' })]);
}

test('batches of one turn in one transaction under the default slice, each answered after it committed', async () => {
  const { store, tx, ingest } = setup(10, DEFAULT_INGEST_SLICE);
  const answers = Array.from({ length: 10 }, (_, i) =>
    ingest.taskStatus(ctx(`i${i}`), { session_id: 's', updates: [running(`t${i}`)] }).then((r) => {
      // Answered only once its write is in the store.
      assert.equal(store.tasks.get(`t${i}`)!.lastStatus, 'RUNNING');
      return r;
    }),
  );
  assert.equal(tx.count, 0, 'nothing written in the turn the batches arrived');
  const res = await Promise.all(answers);
  assert.deepEqual(res.map((r) => r.applied), Array.from({ length: 10 }, (_, i) => [arns.task(defaultArnContext, 'c', `t${i}`)]));
  assert.equal(tx.count, 1);
  store.close();
});

test('a burst over the cap is split across transactions, oldest first; a refused batch among them writes nothing and the others apply', async () => {
  const { store, tx, ingest } = setup(7, { budgetMs: 60_000, maxReports: 2 });
  // i3 also names i4's task: refused whole (PERMISSION_DENIED), its own t3 untouched.
  const answers: Promise<UpdateTaskStatusResponse>[] = [];
  for (let i = 0; i < 7; i++) {
    const updates = i === 3 ? [running('t3'), running('t4')] : [running(`t${i}`)];
    answers.push(ingest.taskStatus(ctx(`i${i}`), { session_id: 's', updates }));
  }
  const settled = await Promise.allSettled(answers);
  // Reports per transaction, at most 2 (a batch is never split): [t0, t1], [t2, refused t3+t4], [t4, t5], [t6].
  assert.equal(tx.count, 4);
  settled.forEach((s, i) => {
    if (i === 3) {
      assert.equal(s.status, 'rejected');
      assert.equal((s as PromiseRejectedResult).reason.code, status.PERMISSION_DENIED);
    } else {
      assert.equal(s.status, 'fulfilled', `batch ${i}`);
      assert.deepEqual((s as PromiseFulfilledResult<UpdateTaskStatusResponse>).value.applied, [arns.task(defaultArnContext, 'c', `t${i}`)]);
    }
  });
  for (let i = 0; i < 7; i++) assert.equal(store.tasks.get(`t${i}`)!.lastStatus, i === 3 ? 'PENDING' : 'RUNNING', `t${i}`);
  store.close();
});

test('one batch larger than the cap still goes through, alone in its transaction', async () => {
  const { store, tx, ingest } = setup(3, { budgetMs: 60_000, maxReports: 1 });
  // i0 reports its task three times over (the agent resending): one batch of 3 reports.
  const big = ingest.taskStatus(ctx('i0'), { session_id: 's', updates: [running('t0'), running('t0'), running('t0')] });
  const small = ingest.taskStatus(ctx('i1'), { session_id: 's', updates: [running('t1')] });
  assert.equal((await big).applied.length, 3);
  assert.equal((await small).applied.length, 1);
  assert.equal(tx.count, 2);
  assert.equal(store.tasks.get('t0')!.lastStatus, 'RUNNING');
  store.close();
});

test('a transaction that fails fails exactly the batches in it; the next slice still applies', async () => {
  const { store, tx, ingest } = setup(4, { budgetMs: 60_000, maxReports: 2 });
  tx.failOn = 1;
  const settled = await Promise.allSettled([0, 1, 2, 3].map((i) => ingest.taskStatus(ctx(`i${i}`), { session_id: 's', updates: [running(`t${i}`)] })));
  assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'fulfilled', 'fulfilled']);
  assert.match(String((settled[0] as PromiseRejectedResult).reason), /disk I\/O error/);
  assert.deepEqual([0, 1, 2, 3].map((i) => store.tasks.get(`t${i}`)!.lastStatus), ['PENDING', 'PENDING', 'RUNNING', 'RUNNING']);
  assert.equal(tx.count, 2);
  store.close();
});
