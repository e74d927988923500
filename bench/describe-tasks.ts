/**
 * What DescribeTasks of 100 tasks costs on a store of 30,000 (issue 15), in
 * its parts: reading the tasks (TasksRepo.getMany: rows, containers, decode),
 * the whole action (lookup, instances, taskJson per task) and the response
 * encoding (sendJsonResult's JSON.stringify). The store is a SQLite file in a
 * temp dir, as the control plane opens it; the tasks have the shape of
 * bench/scale.ts's service tasks (one container, a service group, startedBy
 * a deployment id, RUNNING on one of 1,000 instances as the agents report).
 * Prints figures, asserts nothing.
 *
 *   npm run bench:describe
 *   BENCH_TASKS=3000 BENCH_N=500 npm run bench:describe
 *   node --cpu-prof --cpu-prof-dir=/tmp/p bench/dist/describe-tasks.js
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { arns, defaultArnContext, newDeploymentId, newTask, systemClock, type ContainerInstance, type TaskDefinition } from '@stevedore/core';
import { Store } from '@stevedore/control-plane';
import { describeTasks } from '@stevedore/control-plane/dist/api/actions/tasks';
import type { ApiContext } from '@stevedore/control-plane/dist/api/context';
import { machine, percentile } from './bench-kit';

const TASKS = Number(process.env['BENCH_TASKS'] ?? 30_000);
const INSTANCES = Number(process.env['BENCH_INSTANCES'] ?? 1000);
const PER_SERVICE = 30;
const N = Number(process.env['BENCH_N'] ?? 2000);
const CLUSTER = 'scale';
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

const td = {
  family: 'svc',
  revision: 1,
  taskDefinitionArn: arns.taskDefinition(defaultArnContext, 'svc', 1),
  status: 'ACTIVE',
  networkMode: 'bridge',
  requiresCompatibilities: [],
  compatibilities: ['EC2'],
  containerDefinitions: [{ name: 'app', image: 'bench', cpu: 10, memory: 32 }],
  registeredAt: 0,
} as unknown as TaskDefinition;

function instance(k: number, now: number): ContainerInstance {
  return {
    id: `${String(k).padStart(8, '0')}${'0'.repeat(24)}`,
    clusterName: CLUSTER,
    ec2InstanceId: `sim-${k}`,
    hostIp: '127.0.0.1',
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: { cpu: 4096, memory: 16384, ports: [22], portsUdp: [] },
    attributes: [{ name: 'ecs.availability-zone', value: ZONES[k % ZONES.length]! }],
    versionInfo: { agentVersion: '1', dockerVersion: '20' },
    registeredAt: now,
    version: 1,
  };
}

/** The store as bench:scale leaves it: every task RUNNING as its agent reported it. */
function fill(store: Store): string[] {
  const now = Date.now();
  const random = (() => {
    let s = 42;
    return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  })();
  store.tx(() => {
    store.clusters.upsert({ name: CLUSTER, status: 'ACTIVE', tags: [], settings: [], createdAt: now });
    for (let k = 0; k < INSTANCES; k++) store.instances.put(instance(k, now));
  });
  const ids: string[] = [];
  let seq = store.tasks.nextSeq();
  for (let s = 0; s * PER_SERVICE < TASKS; s++) {
    const deployment = newDeploymentId(random);
    store.tx(() => {
      for (let k = 0; k < PER_SERVICE && s * PER_SERVICE + k < TASKS; k++) {
        const n = s * PER_SERVICE + k;
        const t = newTask({ clusterName: CLUSTER, td, containerInstanceId: instance(n % INSTANCES, now).id, group: `service:svc-${s}`, startedBy: deployment, now });
        store.tasks.insert({
          ...t,
          lastStatus: 'RUNNING',
          version: 4,
          connectivityAt: now + 10,
          pullStartedAt: now + 20,
          pullStoppedAt: now + 30,
          startedAt: now + 40,
          containers: t.containers.map((c) => ({ ...c, status: 'RUNNING', runtimeId: `sim-${c.name}` })),
          seq: seq++,
        });
        ids.push(t.id);
      }
    });
  }
  return ids;
}

/** Wall time of each call, and the thread's CPU time over all of them: on a shared machine the CPU figure moves less with the load. */
function time(n: number, fn: (i: number) => void): { wall: number[]; cpuPerCall: number } {
  const wall: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    fn(i);
    wall.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpuPerCall: (cpu.user + cpu.system) / n };
}

const us = (r: { wall: number[]; cpuPerCall: number }) =>
  `p50 ${percentile(r.wall, 50).toFixed(0)} µs, p99 ${percentile(r.wall, 99).toFixed(0)} µs | ${r.cpuPerCall.toFixed(0)} µs`;

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-bench-describe-'));
  const store = Store.open(path.join(dir, 'stevedore.db'), systemClock, defaultArnContext);
  try {
    const t0 = performance.now();
    const ids = fill(store);
    console.log(`${TASKS} tasks on ${INSTANCES} instances stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // The control plane keeps the cluster's state loaded (its orchestrator reads it): DescribeTasks takes instances from it.
    store.clusterState.tasksOn(CLUSTER, instance(0, 0).id);
    const ctx = { store, clock: systemClock, arn: defaultArnContext, log: pino({ level: 'silent' }), random: Math.random } as unknown as ApiContext;
    // Pages of 100 through the whole store, as ListTasks hands them out (the first page is bench:scale's).
    const pages: string[][] = [];
    for (let k = 0; k + 100 <= ids.length; k += 100) pages.push(ids.slice(k, k + 100));
    const page = (i: number) => pages[(i * 37) % pages.length]!;
    const bodies = pages.map((p) => ({ cluster: CLUSTER, tasks: p.map((id) => arns.task(defaultArnContext, CLUSTER, id)) }));
    const body = (i: number) => bodies[(i * 37) % bodies.length]!;
    const answers = bodies.map((b) => describeTasks(ctx, b));
    // Warm-up: every page read once (SQLite's page cache holds the store, as it does in a running control plane), the statements prepared, the code optimised.
    for (let r = 0; r < 2; r++) {
      for (let i = 0; i < pages.length; i++) {
        store.tasks.getMany(page(i));
        JSON.stringify(describeTasks(ctx, body(i)));
      }
    }
    const rows: [string, string][] = [];
    rows.push(['TasksRepo.getMany (100 ids)', us(time(N, (i) => store.tasks.getMany(page(i))))]);
    rows.push(['describeTasks action (100 ARNs)', us(time(N, (i) => describeTasks(ctx, body(i))))]);
    rows.push(['JSON.stringify of its answer (sendJsonResult)', us(time(N, (i) => JSON.stringify(answers[(i * 37) % answers.length])))]);
    rows.push(['action + JSON (DescribeTasks less HTTP)', us(time(N, (i) => JSON.stringify(describeTasks(ctx, body(i)))))]);
    console.log(`machine: ${machine()}; ${N} samples each`);
    console.log('\n| figure | wall time | CPU time per call |\n|---|---|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${r} |`);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
