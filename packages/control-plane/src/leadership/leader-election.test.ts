import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { defaultArnContext, type ContainerInstance } from '@stevedore/core';
import { Store } from '../store/store';
import { LeaderFencedError } from '../store/leadership-repo';
import { LeaderElection, leaderElectionOptions, type Term } from './leader-election';
import { backendTests, type StoreBackend } from '../testing/store-backends';

// Every test on both backends: SQLite replicas are connections to one file in WAL mode, PostgreSQL ones to one database.
const test = backendTests();

const TTL = 6000;
const opts = leaderElectionOptions(TTL);
const silent = pino({ level: 'silent' });
const cluster = (name: string) => ({ name, status: 'ACTIVE' as const, tags: [], settings: [], createdAt: 1 });

/** Replicas as separate connections to one database (as separate processes would be), on one test clock. */
function replicas(b: StoreBackend, names: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-lease-'));
  const file = b.name === 'sqlite' ? path.join(dir, 'stevedore.db') : b.location();
  let wall = 1_000_000;
  let mono = 0;
  const clock = { now: () => wall };
  const events: string[] = [];
  const terms = new Map<string, Term | undefined>();
  const rs = names.map((id) => {
    const store = Store.open(file, clock, defaultArnContext);
    const election = new LeaderElection(
      store,
      { id, apiEndpoint: `http://${id}:8080`, agentEndpoint: `${id}:8443` },
      {
        elected: (t) => {
          terms.set(id, t);
          events.push(`${id} elected ${t.epoch}`);
        },
        deposed: (t, reason) => {
          terms.set(id, undefined);
          events.push(`${id} deposed ${t.epoch}: ${reason}`);
        },
      },
      silent,
      opts,
      clock,
      () => mono,
    );
    return { id, store, election };
  });
  const advance = (ms: number) => {
    wall += ms;
    mono += ms;
  };
  const close = () => {
    for (const r of rs) r.store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { rs, advance, events, terms, close, clock };
}

test('one replica leads, the others follow and know who leads', (backend) => {
  const { rs, events, close } = replicas(backend, ['a', 'b', 'c']);
  for (const r of rs) r.election.round();
  assert.deepEqual(events, ['a elected 1']);
  assert.deepEqual(
    rs.map((r) => r.election.status),
    rs.map((r) => ({ replicaId: r.id, leader: r.id === 'a', leaderId: 'a', epoch: 1, storeReachable: true })),
  );
  // Renewals keep the same term.
  for (let i = 0; i < 10; i++) for (const r of rs) r.election.round();
  assert.deepEqual(events, ['a elected 1']);
  assert.equal(rs[0]!.store.leadership.replicas().length, 3);
  close();
});

test('a paused leader is replaced after its lease expires, and its writes are fenced when it wakes up', (backend) => {
  const { rs, events, advance, close } = replicas(backend, ['a', 'b']);
  const [a, b] = [rs[0]!, rs[1]!];
  a.election.round();
  b.election.round();
  const aTerm = a.election.currentTerm!;
  const aStore = a.store.fenced(() => a.store.leadership.assertTerm(aTerm.holder, aTerm.epoch));
  aStore.tx(() => aStore.clusters.upsert(cluster('before')));
  // a is paused: only b runs rounds. Before expiry b follows.
  advance(TTL - 1);
  b.election.round();
  assert.equal(b.election.status.leader, false);
  advance(1);
  b.election.round();
  assert.equal(b.election.status.leader, true);
  assert.equal(b.election.currentTerm?.epoch, 2);
  // a wakes up and writes before it ran a round: the write is rejected and rolled back.
  assert.throws(() => aStore.tx(() => aStore.clusters.upsert(cluster('after'))), LeaderFencedError);
  assert.equal(b.store.clusters.get('after'), undefined);
  assert.ok(b.store.clusters.get('before'));
  // Its next round makes it step down.
  a.election.round();
  assert.deepEqual(events, ['a elected 1', 'b elected 2', 'a deposed 1: the lease is held by b (epoch 2)']);
  assert.deepEqual(a.election.status, { replicaId: 'a', leader: false, leaderId: 'b', epoch: 2, storeReachable: true });
  close();
});

test('a leader stalled past its lease that nobody took keeps its term: no step-down, its writes still pass', (backend) => {
  const { rs, events, advance, close } = replicas(backend, ['a', 'b']);
  const [a, b] = [rs[0]!, rs[1]!];
  a.election.round();
  const aTerm = a.election.currentTerm!;
  const aStore = a.store.fenced(() => a.store.leadership.assertTerm(aTerm.holder, aTerm.epoch));
  // An event-loop stall of three lease lifetimes, and nobody else ran a round meanwhile (a lone control plane).
  advance(3 * TTL);
  a.election.round();
  assert.deepEqual(events, ['a elected 1'], 'the same term goes on: roles are not restarted');
  assert.equal(a.election.currentTerm?.epoch, 1);
  aStore.tx(() => aStore.clusters.upsert(cluster('after-stall')));
  // The renewed lease is live again: another replica follows it.
  b.election.round();
  assert.deepEqual(b.election.status, { replicaId: 'b', leader: false, leaderId: 'a', epoch: 1, storeReachable: true });
  close();
});

test('a leader that cannot reach the store stops its loops before its lease can be taken', (backend) => {
  const { rs, events, advance, close } = replicas(backend, ['a', 'b']);
  const [a, b] = [rs[0]!, rs[1]!];
  a.election.round();
  b.election.round();
  // The store fails for a: every round throws (a closed connection stands in for an unreachable server).
  const realTx = a.store.tx.bind(a.store);
  let failing = true;
  a.store.tx = <T>(fn: () => T): T => {
    if (failing) throw new Error('connection refused');
    return realTx(fn);
  };
  const stepDownAt = TTL - opts.marginMs;
  for (let t = opts.renewIntervalMs; t < stepDownAt; t += opts.renewIntervalMs) {
    advance(opts.renewIntervalMs);
    a.election.round();
    assert.equal(a.election.status.leader, true, `still leading ${t} ms after its last renewal`);
  }
  advance(stepDownAt - Math.floor(stepDownAt / opts.renewIntervalMs) * opts.renewIntervalMs);
  a.election.round();
  assert.equal(a.election.status.leader, false);
  assert.equal(a.election.status.storeReachable, false);
  // Nobody else could lead yet: the lease is still a's. Once it expires b takes it.
  b.election.round();
  assert.equal(b.election.status.leader, false);
  advance(opts.marginMs);
  b.election.round();
  assert.equal(b.election.status.leader, true);
  failing = false;
  a.election.round();
  assert.deepEqual(a.election.status, { replicaId: 'a', leader: false, leaderId: 'b', epoch: 2, storeReachable: true });
  assert.deepEqual(events, ['a elected 1', 'a deposed 1: could not renew the lease in time', 'b elected 2']);
  close();
});

test('a leader stopping cleanly hands the lease over at once', (backend) => {
  const { rs, events, close } = replicas(backend, ['a', 'b']);
  const [a, b] = [rs[0]!, rs[1]!];
  a.election.round();
  b.election.round();
  a.election.stop();
  b.election.round();
  assert.equal(b.election.status.leader, true);
  assert.deepEqual(events, ['a elected 1', 'a deposed 1: shutting down', 'b elected 2']);
  assert.deepEqual(b.store.leadership.replicas().map((r) => r.id), ['b']);
  close();
});

test('two replicas racing for an expired lease: exactly one wins', (backend) => {
  const { rs, advance, close } = replicas(backend, ['a', 'b', 'c']);
  rs[0]!.election.round();
  advance(TTL);
  // b and c both read the expired lease; the compare-and-set lets only the first write through.
  const lease = rs[1]!.store.leadership.lease()!;
  const next = { holder: 'b', epoch: lease.epoch + 1, expiresAt: lease.expiresAt + TTL };
  assert.equal(rs[1]!.store.leadership.compareAndSet(lease, next, 0), true);
  assert.equal(rs[2]!.store.leadership.compareAndSet(lease, { ...next, holder: 'c' }, 0), false);
  assert.equal(rs[0]!.store.leadership.lease()?.holder, 'b');
  close();
});

function instance(id: string): ContainerInstance {
  return {
    id,
    clusterName: 'default',
    ec2InstanceId: `host-${id}`,
    hostIp: '127.0.23.1',
    status: 'ACTIVE',
    agentConnected: false,
    registeredResources: { cpu: 1024, memory: 2048, ports: [22], portsUdp: [] },
    attributes: [],
    versionInfo: { agentVersion: '1', dockerVersion: '20' },
    registeredAt: 1,
    version: 1,
  };
}

test('the leader disconnects the agent sessions of a replica that stopped renewing; a moved session is not dropped by its old replica', (backend) => {
  const { rs, advance, close, clock } = replicas(backend, ['a', 'b']);
  const [a, b] = [rs[0]!, rs[1]!];
  a.election.round();
  b.election.round();
  a.store.tx(() => {
    a.store.instances.put(instance('i-1'));
    a.store.instances.put(instance('i-2'));
    a.store.instances.setConnected('i-1', true, clock.now(), 'a');
    a.store.instances.setConnected('i-2', true, clock.now(), 'b');
  });
  // i-1's agent moves to b before a noticed its stream ended: a's late goodbye must not mark it disconnected.
  b.store.tx(() => b.store.instances.setConnected('i-1', true, clock.now(), 'b'));
  a.store.tx(() => a.store.instances.setConnected('i-1', false, clock.now(), 'a'));
  assert.equal(a.store.instances.get('i-1')?.agentConnected, true);
  assert.equal(a.store.instances.sessionReplica('i-1'), 'b');
  // b dies (no more rounds): after replicaStaleMs the leader forgets it and its sessions.
  for (let t = 0; t <= opts.replicaStaleMs; t += opts.renewIntervalMs) {
    advance(opts.renewIntervalMs);
    a.election.round();
    if (t < opts.replicaStaleMs - opts.renewIntervalMs) assert.equal(a.store.instances.get('i-2')?.agentConnected, true, `connected at ${t} ms`);
  }
  assert.equal(a.store.instances.get('i-1')?.agentConnected, false);
  assert.equal(a.store.instances.get('i-2')?.agentConnected, false);
  assert.deepEqual(a.store.leadership.replicas().map((r) => r.id), ['a']);
  close();
});
