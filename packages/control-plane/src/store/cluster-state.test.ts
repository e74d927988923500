import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { defaultArnContext, remainingResources, systemClock, type ContainerInstance, type DesiredStatus, type TaskStatus } from '@stevedore/core';
import { Store } from './store';
import { ClusterState } from './cluster-state';
import type { StoredTask } from './tasks-repo';
import { backendTests } from '../testing/store-backends';
import { testInstance, testTask } from '../testing/task-builder';

const storeTest = backendTests();

const CLUSTERS = ['a', 'b'];
const INSTANCES = ['i-0', 'i-1', 'i-2', 'i-3'];
const GROUPS = ['service:web', 'service:api', 'family:batch'];
/** i-0 and i-1 belong to cluster a, i-2 and i-3 to b. */
const clusterOf = (i: number) => CLUSTERS[i >> 1]!;
const STATUSES: TaskStatus[] = ['PROVISIONING', 'PENDING', 'RUNNING', 'DEPROVISIONING', 'STOPPED'];

const instance = testInstance;
const task = (id: string, cluster: string, over: Partial<StoredTask>): StoredTask => testTask({ id, clusterName: cluster, lastStatus: 'PENDING', ...over });

type Op =
  | { op: 'instance'; i: number; status: ContainerInstance['status']; connected: boolean; cpu: number }
  | { op: 'connect'; i: number; connected: boolean; at: number }
  | { op: 'heartbeat'; i: number; at: number }
  | { op: 'task'; t: number; cluster: number; i: number | null; last: TaskStatus; desired: DesiredStatus; group: number; cpu: number; port: number | null; udp: boolean }
  | { op: 'read'; cluster: number }
  | { op: 'rollback'; ops: Op[] };

const leaf: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('instance' as const), i: fc.nat(3), status: fc.constantFrom('ACTIVE' as const, 'DRAINING' as const, 'INACTIVE' as const), connected: fc.boolean(), cpu: fc.integer({ min: 256, max: 4096 }) }),
  fc.record({ op: fc.constant('connect' as const), i: fc.nat(3), connected: fc.boolean(), at: fc.nat(1000) }),
  fc.record({ op: fc.constant('heartbeat' as const), i: fc.nat(3), at: fc.nat(1000) }),
  fc.record({
    op: fc.constant('task' as const),
    t: fc.nat(11),
    cluster: fc.nat(1),
    i: fc.option(fc.nat(3)),
    last: fc.constantFrom(...STATUSES),
    desired: fc.constantFrom('RUNNING' as const, 'STOPPED' as const),
    group: fc.nat(2),
    cpu: fc.integer({ min: 0, max: 512 }),
    port: fc.option(fc.constantFrom(80, 443, 8080)),
    udp: fc.boolean(),
  }),
  fc.record({ op: fc.constant('read' as const), cluster: fc.nat(1) }),
);
const anyOp: fc.Arbitrary<Op> = fc.oneof({ weight: 6, arbitrary: leaf }, { weight: 1, arbitrary: fc.record({ op: fc.constant('rollback' as const), ops: fc.array(leaf, { maxLength: 4 }) }) });

function apply(store: Store, o: Op, seq: { n: number }): void {
  switch (o.op) {
    case 'instance': {
      const id = INSTANCES[o.i]!;
      store.instances.put(instance(id, clusterOf(o.i), { status: o.status, agentConnected: o.connected, registeredResources: { cpu: o.cpu, memory: 2048, ports: [22], portsUdp: [53] } }));
      return;
    }
    case 'connect':
      store.instances.setConnected(INSTANCES[o.i]!, o.connected, o.at);
      return;
    case 'heartbeat':
      store.instances.touchHeartbeat(INSTANCES[o.i]!, o.at);
      return;
    case 'task': {
      const id = `t-${o.t}`;
      const prior = store.tasks.get(id);
      // A task never moves to another cluster or instance (STYLE lesson 2): only its statuses change.
      const on = prior ? prior.containerInstanceId : o.i === null ? undefined : INSTANCES[o.i];
      // A task sits on an instance of its own cluster.
      const cluster = prior?.clusterName ?? (o.i === null ? CLUSTERS[o.cluster]! : clusterOf(o.i));
      const t = task(id, cluster, {
        lastStatus: o.last,
        desiredStatus: o.desired,
        group: prior?.group ?? GROUPS[o.group]!,
        cpu: prior?.cpu ?? o.cpu,
        hostPorts: prior?.hostPorts ?? (o.port === null ? [] : [{ port: o.port, protocol: o.udp ? 'udp' : 'tcp' }]),
        seq: prior?.seq ?? seq.n++,
      });
      if (on !== undefined) t.containerInstanceId = on;
      else delete t.containerInstanceId;
      store.tasks.put(t);
      return;
    }
    case 'read':
      store.clusterState.candidates(CLUSTERS[o.cluster]!);
      store.clusterState.views(CLUSTERS[o.cluster]!);
      return;
    case 'rollback':
      assert.throws(() =>
        store.tx(() => {
          for (const inner of o.ops) apply(store, inner, seq);
          throw new Error('rolled back');
        }),
      );
  }
}

const sortById = <T extends { id: string }>(xs: T[]) => [...xs].sort((a, b) => a.id.localeCompare(b.id));

/** Everything placement reads, in a comparable form. */
function observe(state: ClusterState, cluster: string) {
  const ids = new Set([...INSTANCES]);
  return {
    instances: state.instances(cluster),
    candidates: state.candidates(cluster).map((c) => ({ id: c.instance.id, remaining: c.remaining, groups: [...(c.groups ?? [])].sort(), running: c.runningTasksCount })),
    views: state.views(cluster).map((v) => ({ instance: v.instance, remaining: v.remaining, groups: [...(v.groups ?? [])].sort(), running: v.runningTasksCount, tasks: sortById(v.tasks) })),
    // The index kept with the views describes exactly them (ids, and the census liveness is judged from).
    index: (() => {
      const i = state.instanceIndex(cluster);
      return { ids: [...i.byId.keys()].sort(), registered: i.census.registered, disconnected: i.census.disconnected.map((x) => ({ ...x })).sort((a, b) => a.id.localeCompare(b.id)) };
    })(),
    tasksOn: [...ids].map((id) => sortById(state.tasksOn(cluster, id))),
    groups: GROUPS.map((g) => sortById(state.groupTasks(cluster, g))),
  };
}

storeTest('the incrementally kept cluster state always equals one built fresh from SQL, whatever the writes, reads and rollbacks (property)', (b) => {
  fc.assert(
    fc.property(fc.array(anyOp, { maxLength: 40 }), (ops) => {
      const store = Store.open(b.location(), systemClock, defaultArnContext);
      const seq = { n: 1 };
      for (const o of ops) apply(store, o, seq);
      const fresh = new ClusterState({ instances: (c) => store.instances.listByCluster(c), tasks: (c) => store.tasks.summariesInCluster(c) });
      for (const c of CLUSTERS) {
        assert.deepEqual(observe(store.clusterState, c), observe(fresh, c));
        // The incremental arithmetic is core's one formula: the same as summing the tasks.
        for (const i of store.clusterState.instances(c)) {
          assert.deepEqual(store.clusterState.remaining(c, i), remainingResources(i, store.tasks.activeOnInstance(i.id)));
        }
        // DescribeTasks takes a loaded cluster's instances from memory: each the row as stored, INACTIVE ones left to SQL.
        for (const id of INSTANCES) {
          const stored = store.instances.get(id);
          const kept = store.clusterState.loadedInstance(c, id);
          if (stored && stored.clusterName === c && stored.status !== 'INACTIVE') assert.deepEqual(kept, stored, id);
          else assert.equal(kept, undefined, id);
        }
      }
      // The pushes' version read: from the kept state when the instance's cluster is loaded, the same rows as SQL's.
      const byId = (xs: { id: string }[]) => [...xs].sort((x, y) => x.id.localeCompare(y.id));
      for (const id of INSTANCES) {
        const sql = b.name === 'sqlite' ? store.db.prepare("SELECT id, cluster, assignment_version AS version FROM tasks WHERE container_instance_id = ? AND last_status != 'STOPPED'").all(id) : undefined;
        const read = byId(store.tasks.assignmentVersionsOn(id));
        if (sql) assert.deepEqual(read, byId(sql as { id: string }[]), id);
        store.clusterState.invalidate();
        assert.deepEqual(byId(store.tasks.assignmentVersionsOn(id)), read, `${id}: SQL and kept state agree`);
        for (const c of CLUSTERS) store.clusterState.instances(c);
      }
      store.close();
    }),
    { numRuns: b.name === 'sqlite' ? 200 : 25 },
  );
});

storeTest('reads inside a transaction see its own writes; a rollback is forgotten and the state is rebuilt from SQL', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.instances.put(instance('i-0', 'a'));
  assert.equal(store.clusterState.remaining('a', instance('i-0', 'a')).cpu, 1024);
  const loadsBefore = store.clusterState.loads;
  assert.throws(() =>
    store.tx(() => {
      store.tasks.put(task('t-1', 'a', { containerInstanceId: 'i-0', cpu: 1000 }));
      assert.equal(store.clusterState.remaining('a', store.clusterState.instance('a', 'i-0')!).cpu, 24);
      throw new Error('boom');
    }),
  );
  assert.equal(store.clusterState.remaining('a', store.clusterState.instance('a', 'i-0')!).cpu, 1024);
  assert.equal(store.clusterState.loads, loadsBefore + 1, 'rebuilt once from SQL after the rollback');
  store.close();
});

storeTest('a placement reads no task rows: RunTask-sized reads cost the same with 10 or 2,000 tasks on an instance', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.instances.put(instance('i-0', 'a', { registeredResources: { cpu: 1_000_000, memory: 1_000_000, ports: [], portsUdp: [] } }));
  store.clusterState.candidates('a');
  for (let n = 0; n < 2000; n++) store.tasks.put(task(`t-${n}`, 'a', { containerInstanceId: 'i-0', seq: n + 1, group: `g-${n % 7}` }));
  const loads = store.clusterState.loads;
  const [c] = store.clusterState.candidates('a');
  assert.equal(store.clusterState.loads, loads, 'no rebuild: kept in step by the writes');
  assert.equal(c!.remaining.cpu, 1_000_000 - 2000 * 10);
  assert.equal(c!.groups?.get('g-0'), 286);
  store.close();
});

storeTest('the views stand while only tasks change (read live), and are rebuilt with their index when an instance changes', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.instances.put(instance('i-0', 'a'));
  store.instances.put(instance('i-1', 'a'));
  const views = store.clusterState.views('a');
  const index = store.clusterState.instanceIndex('a');
  store.tasks.put(task('t-1', 'a', { containerInstanceId: 'i-0', cpu: 100, group: 'service:web' }));
  assert.equal(store.clusterState.views('a'), views, 'a task write keeps the array');
  assert.equal(store.clusterState.instanceIndex('a'), index);
  assert.equal(views[0]!.remaining.cpu, 1024 - 100, 'and its views read the load as it is now');
  assert.equal(views[0]!.groups?.get('service:web'), 1);
  assert.equal(index.byId.get('i-0'), views[0]);
  store.instances.setConnected('i-1', false, 500);
  const after = store.clusterState.views('a');
  assert.notEqual(after, views, 'an instance change rebuilds them');
  assert.deepEqual(store.clusterState.instanceIndex('a').census.disconnected.map((i) => [i.id, i.lastHeartbeatAt]), [['i-1', 500]]);
  // A heartbeat recorded for an instance marked disconnected moves when its grace counts from: the census follows.
  store.instances.touchHeartbeat('i-1', 900);
  assert.deepEqual(store.clusterState.instanceIndex('a').census.disconnected.map((i) => [i.id, i.lastHeartbeatAt]), [['i-1', 900]]);
  // One of a connected instance changes nothing the index holds.
  const kept = store.clusterState.instanceIndex('a');
  store.instances.touchHeartbeat('i-0', 950);
  assert.equal(store.clusterState.instanceIndex('a'), kept);
  assert.equal(store.clusterState.views('a')[0]!.instance.lastHeartbeatAt, 950, 'views read the current instance');
  store.close();
});

storeTest('loadedInstance never loads a cluster: undefined until something else has loaded it', (b) => {
  const store = Store.open(b.location(), systemClock, defaultArnContext);
  store.tx(() => store.instances.put(instance('i-0', 'a')));
  // A fresh view of the store, as after a remote change dropped the kept state.
  store.clusterState.invalidate();
  const loads = store.clusterState.loads;
  assert.equal(store.clusterState.loadedInstance('a', 'i-0'), undefined);
  assert.equal(store.clusterState.loads, loads, 'no load');
  store.clusterState.instances('a');
  assert.deepEqual(store.clusterState.loadedInstance('a', 'i-0'), store.instances.get('i-0'));
  store.close();
});
