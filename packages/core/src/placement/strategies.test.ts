import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { computePlacements, explainPlacement, seededRandom } from './pipeline';
import type { Candidate } from './filters';
import { remainingResources } from './resources';
import { evaluateQuery, parseQuery } from './query-language';
import { instance } from '../service/test-builders';
import type { ContainerInstance } from '../model/container-instance';
import type { PlacementConstraint, PlacementStrategy } from '../model/service';

const cand = (i: ContainerInstance, tasks: Candidate['tasks'] = []): Candidate => ({ instance: i, remaining: remainingResources(i, []), tasks });
const req = (memory = 256, cpu = 0) => ({ cpu, memory, hostPorts: [] });
const count = (ids: string[]) => ids.reduce<Record<string, number>>((m, id) => ({ ...m, [id]: (m[id] ?? 0) + 1 }), {});

test('binpack memory fills the fullest instance that still fits first', () => {
  const pool = [
    cand(instance('big', { registeredResources: { cpu: 4096, memory: 4096, ports: [], portsUdp: [] } })),
    cand(instance('small', { registeredResources: { cpu: 4096, memory: 1024, ports: [], portsUdp: [] } })),
  ];
  const r = computePlacements(pool, req(256), 6, seededRandom(3), { strategies: [{ type: 'binpack', field: 'memory' }] });
  assert.deepEqual(r.placements, ['small', 'small', 'small', 'small', 'big', 'big']);
});

test('spread by zone then instance balances zones first, then instances inside a zone', () => {
  const pool = [instance('a1', {}, 'za'), instance('a2', {}, 'za'), instance('a3', {}, 'za'), instance('b1', {}, 'zb')].map((i) => cand(i));
  const r = computePlacements(pool, req(), 6, seededRandom(9), {
    group: 'service:web',
    strategies: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'instanceId' }],
  });
  const c = count(r.placements);
  assert.equal(c['b1'], 3, 'zone b (one instance) gets half');
  assert.deepEqual([c['a1'], c['a2'], c['a3']], [1, 1, 1]);
});

test('spread counts only the tasks of the same group', () => {
  const other = Array.from({ length: 5 }, () => ({ group: 'service:other', lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const }));
  const mine = [{ group: 'service:web', lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const }];
  const r = computePlacements([cand(instance('a'), other), cand(instance('b'), mine)], req(), 1, seededRandom(1), {
    group: 'service:web',
    strategies: [{ type: 'spread', field: 'instanceId' }],
  });
  assert.deepEqual(r.placements, ['a']);
});

test('distinctInstance places one task of the group per instance and explains the rest', () => {
  const busy = [{ group: 'family:db', lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const }];
  const r = computePlacements([cand(instance('a')), cand(instance('b')), cand(instance('c'), busy)], req(), 3, seededRandom(5), {
    group: 'family:db',
    constraints: [{ type: 'distinctInstance' }],
  });
  assert.deepEqual([...r.placements].sort(), ['a', 'b']);
  assert.equal(r.unplaced, 1);
  assert.deepEqual(r.metrics.filtered, { distinctInstance: 3 });
  assert.deepEqual(r.failures.map((f) => f.reason), ['ATTRIBUTE', 'ATTRIBUTE', 'ATTRIBUTE']);
  assert.match(explainPlacement(r.metrics), /\(3 instances: distinctInstance constraint\)$/);
});

test('memberOf filters by attribute and task:group affinity; counts per reason in the explanation', () => {
  const pool = [
    cand(instance('a', { attributes: [{ name: 'stack', value: 'prod' }] })),
    cand(instance('b', { attributes: [{ name: 'stack', value: 'dev' }] })),
    cand(instance('c', { attributes: [{ name: 'stack', value: 'prod' }], registeredResources: { cpu: 10, memory: 4096, ports: [], portsUdp: [] } })),
  ];
  const r = computePlacements(pool, req(256, 512), 2, seededRandom(2), { constraints: [{ type: 'memberOf', expression: 'attribute:stack == prod' }] });
  assert.deepEqual(r.placements, ['a', 'a']);
  const none = computePlacements(pool, req(256, 512), 1, seededRandom(2), { constraints: [{ type: 'memberOf', expression: 'attribute:stack == qa' }] });
  const text = explainPlacement(none.metrics);
  assert.match(text, /\(2 instances: memberOf constraint; 1 instance: insufficient CPU units\)/);
  assert.match(text, /The closest matching container-instance (a|b) does not match the memberOf placement constraint/);
  const affinity = computePlacements(
    [cand(instance('a')), cand(instance('b'), [{ group: 'service:cache', lastStatus: 'RUNNING', desiredStatus: 'RUNNING' }])],
    req(),
    2,
    seededRandom(1),
    { constraints: [{ type: 'memberOf', expression: 'task:group == service:cache' }] },
  );
  assert.deepEqual(affinity.placements, ['b', 'b']);
});

test('no instances at all is explained in ECS words', () => {
  const r = computePlacements([], req(), 1, seededRandom(1));
  assert.match(explainPlacement(r.metrics), /No Container Instances were found in your cluster/);
});

// ---- properties -------------------------------------------------------------

const arbInstance = (i: number) =>
  fc.record({
    cpu: fc.integer({ min: 0, max: 4096 }),
    memory: fc.integer({ min: 0, max: 4096 }),
    zone: fc.constantFrom('za', 'zb', 'zc'),
    stack: fc.constantFrom('prod', 'dev'),
    connected: fc.boolean(),
    draining: fc.boolean(),
    existing: fc.integer({ min: 0, max: 2 }),
  }).map((r) => ({
    i: instance(`i${i}`, {
      registeredResources: { cpu: r.cpu, memory: r.memory, ports: [22], portsUdp: [] },
      attributes: [
        { name: 'ecs.availability-zone', value: r.zone },
        { name: 'stack', value: r.stack },
      ],
      agentConnected: r.connected,
      status: r.draining ? 'DRAINING' : 'ACTIVE',
    }),
    existing: r.existing,
  }));

const arbCluster = fc.integer({ min: 0, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbInstance(i))));
const arbStrategies: fc.Arbitrary<PlacementStrategy[]> = fc.array(
  fc.oneof(
    fc.constant<PlacementStrategy>({ type: 'random' }),
    fc.constantFrom<PlacementStrategy>({ type: 'binpack', field: 'cpu' }, { type: 'binpack', field: 'memory' }),
    fc.constantFrom<PlacementStrategy>({ type: 'spread', field: 'instanceId' }, { type: 'spread', field: 'attribute:ecs.availability-zone' }),
  ),
  { maxLength: 3 },
);
const arbConstraints: fc.Arbitrary<PlacementConstraint[]> = fc.subarray([
  { type: 'distinctInstance' } as PlacementConstraint,
  { type: 'memberOf', expression: 'attribute:stack == prod' } as PlacementConstraint,
]);

test('property: placement never over-commits an instance and never breaks a constraint', () => {
  fc.assert(
    fc.property(arbCluster, arbStrategies, arbConstraints, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 0, max: 1024 }), fc.integer({ min: 0, max: 1024 }), fc.nat(), (cluster, strategies, constraints, n, cpu, memory, seed) => {
      const group = 'service:web';
      const pool = cluster.map(({ i, existing }) => cand(i, Array.from({ length: existing }, () => ({ group, lastStatus: 'RUNNING' as const, desiredStatus: 'RUNNING' as const }))));
      const r = computePlacements(pool, { cpu, memory, hostPorts: [{ port: 8080, protocol: 'tcp' }] }, n, seededRandom(seed), { group, strategies, constraints });
      assert.equal(r.placements.length + r.unplaced, n);
      const per = count(r.placements);
      for (const { i, existing } of cluster) {
        const k = per[i.id] ?? 0;
        if (k === 0) continue;
        assert.equal(i.status, 'ACTIVE');
        assert.equal(i.agentConnected, true);
        assert.ok(k * cpu <= i.registeredResources.cpu, 'cpu over-committed');
        assert.ok(k * memory <= i.registeredResources.memory, 'memory over-committed');
        assert.equal(k, 1, 'a static host port fits once per instance');
        if (constraints.some((c) => c.type === 'distinctInstance')) assert.equal(existing, 0);
        if (constraints.some((c) => c.type === 'memberOf')) {
          assert.ok(evaluateQuery(parseQuery('attribute:stack == prod'), { instance: i, runningTasksCount: 0, taskGroups: [] }));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('property: spread over zones stays balanced within one task per zone', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('za', 'zb', 'zc'), { minLength: 1, maxLength: 9 }), fc.integer({ min: 1, max: 40 }), fc.nat(), (zones, n, seed) => {
      const pool = zones.map((z, k) => cand(instance(`i${k}`, {}, z)));
      const r = computePlacements(pool, { cpu: 1, memory: 1, hostPorts: [] }, n, seededRandom(seed), {
        group: 'service:web',
        strategies: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'spread', field: 'instanceId' }],
      });
      const perZone = new Map<string, number>();
      r.placements.forEach((id) => {
        const z = zones[Number(id.slice(1))]!;
        perZone.set(z, (perZone.get(z) ?? 0) + 1);
      });
      const present = [...new Set(zones)].map((z) => perZone.get(z) ?? 0);
      assert.ok(Math.max(...present) - Math.min(...present) <= 1, `zones ${JSON.stringify([...perZone])}`);
    }),
    { numRuns: 300 },
  );
});
