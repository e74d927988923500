/**
 * Child process of bench/scheduler.ts: many simulated agents (real gRPC
 * clients, no Docker), kept out of the control plane's process so its CPU
 * and RSS are measured alone.
 */
import { SimAgent } from '@stevedore/control-plane/dist/testing/sim-agent';
import { registerJoinSource } from '@stevedore/control-plane/dist/testing/fake-agent';

interface Start {
  cmd: 'start';
  address: string;
  cluster: string;
  count: number;
  zones: string[];
  caPem: string;
  token: string;
  /** Registered resources of each agent (default 4096 CPU units, 8192 MiB). */
  cpu?: number;
  memory?: number;
}
type Command = Start | { cmd: 'freeze'; index: number } | { cmd: 'latencies' } | { cmd: 'running' } | { cmd: 'usage'; intervalMs: number } | { cmd: 'stop' };

const agents: SimAgent[] = [];
const send = (m: unknown) => process.send?.(m);

async function start(m: Start): Promise<void> {
  const started = Date.now();
  // A second start (another cluster) replaces the join source: the first ones have joined already.
  registerJoinSource(m.address, { caPem: m.caPem, token: async () => m.token });
  for (let i = 0; i < m.count; i += 50) {
    const batch = Array.from({ length: Math.min(50, m.count - i) }, (_, k) => {
      const n = i + k;
      return new SimAgent(m.address, { cluster: m.cluster, ec2InstanceId: `sim-${m.cluster}-${n}`, zone: m.zones[n % m.zones.length]!, cpu: m.cpu ?? 4096, memory: m.memory ?? 8192, heartbeatFraction: 1 });
    });
    await Promise.all(batch.map((a) => a.start()));
    agents.push(...batch);
  }
  send({ type: 'ready', ms: Date.now() - started, instanceIds: agents.map((a) => a.instanceId) });
}

process.on('message', (m: Command) => {
  switch (m.cmd) {
    case 'start':
      start(m).catch((e) => send({ type: 'error', message: String(e) }));
      break;
    case 'freeze': {
      const a = agents[m.index]!;
      const last = a.lastHeartbeatAt;
      a.freeze();
      send({ type: 'frozen', lastHeartbeatAt: last, instanceId: a.instanceId, tasks: [...a.tasks.keys()] });
      break;
    }
    case 'latencies':
      send({ type: 'latencies', assigned: agents.flatMap((a) => [...a.assignedAt]) });
      break;
    case 'running':
      send({ type: 'running', count: agents.reduce((n, a) => n + a.running().length, 0) });
      break;
    case 'usage':
      // Every agent reports its running tasks' usage each interval (ReportTaskUsage), spread over the interval.
      agents.forEach((a, i) => {
        setTimeout(() => {
          setInterval(() => {
            const usage = a.running().map((arn, k) => ({ task_arn: arn, cpu_units: 5 + ((i + k) % 10), memory_mib: 16 + (k % 8), network_rx_bytes: 1000, network_tx_bytes: 500, storage_read_bytes: 0, storage_write_bytes: 4096, window_ms: m.intervalMs, containers: 1 }));
            if (usage.length === 0 || !a.fake.sessionId) return;
            (a.fake.client as unknown as Record<string, Function>)['ReportTaskUsage']!({ session_id: a.fake.sessionId, usage }, a.fake.metadata(), () => undefined);
          }, m.intervalMs);
        }, (i * m.intervalMs) / agents.length);
      });
      send({ type: 'usage-started' });
      break;
    case 'stop':
      agents.forEach((a) => a.close());
      process.exit(0);
  }
});
