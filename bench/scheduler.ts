/**
 * Scheduler benchmark: the real control plane in this process, N simulated
 * agents (real gRPC, no Docker) in a child process. Prints figures, asserts
 * nothing.
 *
 *   npm run bench:scheduler            # 1000 agents, 10000 tasks
 *   BENCH_AGENTS=200 BENCH_TASKS=2000 BENCH_GRACE_SECONDS=10 npm run bench:scheduler
 */
import { machine, mb, percentile, request, sleep, startBenchControlPlane, waitUntil } from './bench-kit';

const AGENTS = Number(process.env['BENCH_AGENTS'] ?? 1000);
const TASKS = Number(process.env['BENCH_TASKS'] ?? 10_000);
const GRACE_S = Number(process.env['BENCH_GRACE_SECONDS'] ?? 10);
const HEARTBEAT_MS = Number(process.env['BENCH_HEARTBEAT_MS'] ?? 3000);
const IDLE_S = Number(process.env['BENCH_IDLE_SECONDS'] ?? 15);
const ZONES = ['zone-a', 'zone-b', 'zone-c'];

async function main(): Promise<void> {
  const b = await startBenchControlPlane({
    heartbeatMs: HEARTBEAT_MS,
    graceSeconds: GRACE_S,
    ...(process.env['BENCH_MAX_PLACEMENTS_PER_TICK'] ? { maxPlacementsPerTick: Number(process.env['BENCH_MAX_PLACEMENTS_PER_TICK']) } : {}),
  });
  const { cp, call } = b;
  await call('CreateCluster', { clusterName: 'bench' });
  await call('RegisterTaskDefinition', { family: 'bench', containerDefinitions: [{ name: 'app', image: 'bench', cpu: 10, memory: 32 }] });

  const token = await b.joinToken('bench', 100_000);
  const child = b.agents();
  const ready = await request<{ ms: number }>(
    child,
    { cmd: 'start', address: `127.0.0.1:${cp.agentPort}`, cluster: 'bench', count: AGENTS, zones: ZONES, caPem: cp.store.agentPki.caCertificate(), token },
    'ready',
  );
  console.log(`${AGENTS} agents registered and connected in ${(ready.ms / 1000).toFixed(1)} s`);

  // Heartbeats alone: control-plane CPU while nothing else happens.
  await sleep(2000);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await sleep(IDLE_S * 1000);
  const idle = process.cpuUsage(cpu0);
  const idleCpuPct = ((idle.user + idle.system) / 1000 / (Date.now() - t0)) * 100;
  const heartbeatsPerS = AGENTS / (HEARTBEAT_MS / 1000);
  console.log(`heartbeat cost: ${idleCpuPct.toFixed(1)} % of one core for ${heartbeatsPerS.toFixed(0)} heartbeats/s (${AGENTS} agents, period ${HEARTBEAT_MS} ms)`);
  const rssIdle = process.memoryUsage().rss;

  // Scale 0 -> TASKS.
  await call('CreateService', { cluster: 'bench', serviceName: 'bench', taskDefinition: 'bench', desiredCount: 0 });
  const scaleCpu0 = process.cpuUsage();
  const scaleStart = Date.now();
  await call('UpdateService', { cluster: 'bench', service: 'bench', desiredCount: TASKS });
  let placedAt = 0;
  const steadyAt = await waitUntil(
    'steady state',
    async () => {
      const s = (await call('DescribeServices', { cluster: 'bench', services: ['bench'] }))['services'][0];
      if (!placedAt && s.runningCount + s.pendingCount >= TASKS) placedAt = Date.now();
      return s.runningCount === TASKS && s.pendingCount === 0;
    },
    600_000,
    250,
  );
  const scaleCpu = process.cpuUsage(scaleCpu0);
  const tasks = cp.store.tasks.forGroup('bench', 'service:bench', 0);
  const created = tasks.map((t) => t.createdAt);
  const lastCreated = Math.max(...created);
  const placementsPerS = TASKS / ((lastCreated - scaleStart) / 1000);
  const { assigned } = await request<{ assigned: [string, number][] }>(child, { cmd: 'latencies' }, 'latencies');
  const assignedAt = new Map(assigned);
  const latencies = tasks.map((t) => (assignedAt.get(`arn:aws:ecs:us-east-1:000000000000:task/bench/${t.id}`) ?? NaN) - t.createdAt).filter((x) => Number.isFinite(x));
  const rssSteady = process.memoryUsage().rss;
  const perInstance = new Map<string, number>();
  for (const t of tasks) perInstance.set(t.containerInstanceId!, (perInstance.get(t.containerInstanceId!) ?? 0) + 1);
  const st = cp.orchestrator.stats;
  console.log(`placements: ${TASKS} in ${((lastCreated - scaleStart) / 1000).toFixed(2)} s = ${placementsPerS.toFixed(0)} placements/s wall clock`);
  console.log(`scheduler alone: ${st.placed} placements decided and committed in ${(st.placingMs / 1000).toFixed(2)} s of orchestrator time = ${(st.placed / (st.placingMs / 1000)).toFixed(0)} placements/s`);
  console.log(`steady state after ${((steadyAt - scaleStart) / 1000).toFixed(2)} s (all ${TASKS} RUNNING); CPU during scale-out ${((scaleCpu.user + scaleCpu.system) / 1000 / 1000).toFixed(1)} s`);
  console.log(`assignment latency (task created -> agent has it): p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms, max ${Math.max(...latencies)} ms (${latencies.length} samples)`);
  console.log(`tasks per instance: min ${Math.min(...perInstance.values())}, max ${Math.max(...perInstance.values())} over ${perInstance.size} instances`);
  console.log(`control-plane RSS: ${mb(rssIdle)} idle with ${AGENTS} agents, ${mb(rssSteady)} with ${TASKS} tasks`);

  // An agent freezes (no heartbeat, connection kept): how long until its tasks are replaced?
  const frozen = await request<{ lastHeartbeatAt: number; instanceId: string; tasks: string[] }>(child, { cmd: 'freeze', index: 0 }, 'frozen');
  const victimIds = new Set(frozen.tasks.map((arn) => arn.split('/').pop()!));
  const lastHb = frozen.lastHeartbeatAt || Date.now();
  const disconnectedAt = await waitUntil('disconnect', () => cp.store.instances.get(frozen.instanceId)?.agentConnected === false, 120_000, 50);
  const decidedAt = await waitUntil('lost tasks stopped', () => [...victimIds].every((id) => cp.store.tasks.get(id)?.desiredStatus === 'STOPPED'), 120_000, 50);
  const replacedAt = await waitUntil(
    'replacements running',
    async () => {
      const s = (await call('DescribeServices', { cluster: 'bench', services: ['bench'] }))['services'][0];
      return s.runningCount === TASKS && s.pendingCount === 0;
    },
    120_000,
    100,
  );
  console.log(
    `agent death (${victimIds.size} tasks, grace ${GRACE_S} s): disconnected ${((disconnectedAt - lastHb) / 1000).toFixed(1)} s after its last heartbeat, ` +
      `replacement decided at ${((decidedAt - lastHb) / 1000).toFixed(1)} s, replacements RUNNING at ${((replacedAt - lastHb) / 1000).toFixed(1)} s`,
  );

  await b.stop();
  console.log(`machine: ${machine()}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
