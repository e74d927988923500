import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ContainerObservation, EventHandlers, StatsSink, Subscription } from '../exec/container-controller';
import { LABEL } from '../docker/labels';
import { UsageCollector } from './usage-collector';
import type { RawDockerStats } from './docker-stats';

/** Containers and their stats streams, driven by the test like dockerd would. */
class FakeHost {
  handlers: EventHandlers | undefined;
  running: ContainerObservation[] = [];
  readonly streams = new Map<string, StatsSink>();
  opened = 0;
  closed = 0;
  async listContainers(): Promise<ContainerObservation[]> {
    return this.running;
  }
  subscribeEvents(_labels: Record<string, string>, h: EventHandlers): Subscription {
    this.handlers = h;
    return { close() {} };
  }
  async openStats(id: string, sink: StatsSink): Promise<Subscription> {
    this.opened++;
    this.streams.set(id, sink);
    return { close: () => (this.closed++, this.streams.delete(id)) };
  }
  start(id: string, task: string): void {
    this.handlers!.onEvent({ kind: 'start', runtimeId: id, labels: { [LABEL.task]: task }, time: 0 });
  }
  die(id: string): void {
    this.handlers!.onEvent({ kind: 'die', runtimeId: id, labels: {}, time: 0 });
  }
}

function stats(cpuNs: number, systemNs: number, memMiB: number, rx: number): RawDockerStats {
  return { cpu_stats: { cpu_usage: { total_usage: cpuNs }, system_cpu_usage: systemNs, online_cpus: 2 }, memory_stats: { usage: memMiB * 1048576, stats: { total_inactive_file: 0 } }, networks: { eth0: { rx_bytes: rx, tx_bytes: 0 } } };
}

const tick = () => new Promise((r) => setImmediate(r));

test('one stream per running container, closed when it dies; usage per task per window, nothing buffered', async () => {
  const host = new FakeHost();
  let now = 0;
  const c = new UsageCollector({ containers: host, stats: host, instanceId: 'i', log: pino({ level: 'silent' }), now: () => now, resyncMs: 3600_000 });
  c.start();
  host.start('c1', 'task/a');
  host.start('c2', 'task/a');
  host.start('c3', 'task/b');
  host.start('c1', 'task/a'); // a repeated event opens nothing new
  await tick();
  assert.equal(host.opened, 3);
  // Two containers of task a, each using half a core over the window; b idle.
  for (const id of ['c1', 'c2']) {
    host.streams.get(id)!.onStats(stats(0, 100e9, 10, 0));
    host.streams.get(id)!.onStats(stats(5e9, 120e9, 10, 500));
  }
  host.streams.get('c3')!.onStats(stats(1e9, 100e9, 3, 0));
  host.streams.get('c3')!.onStats(stats(1e9, 120e9, 3, 0));
  // First take: containers that started in this window, readings without the daemon's previous
  // sample: the second reading gives their CPU against the first.
  now = 10_000;
  assert.equal(c.take().length, 2);
  for (const id of ['c1', 'c2']) host.streams.get(id)!.onStats(stats(10e9, 140e9, 20, 800));
  now = 20_000;
  const u = new Map(c.take().map((x) => [x.taskArn, x]));
  // Each: 5 s of CPU over 20 s of host time on 2 CPUs = half a core = 512 units.
  assert.equal(u.get('task/a')!.cpuUnits, 1024);
  assert.equal(u.get('task/a')!.memoryMiB, 40);
  assert.equal(u.get('task/a')!.rxBytes, 600);
  assert.equal(u.get('task/a')!.containers, 2);
  assert.equal(u.get('task/a')!.windowMs, 10_000);
  // No new reading of c3 in this window: no figure for b rather than a made-up one.
  assert.equal(u.has('task/b'), false);
  host.die('c3');
  assert.equal(host.closed, 1);
  assert.equal(c.streams, 2);
  for (const id of ['c1', 'c2']) host.streams.get(id)!.onStats(stats(11e9, 160e9, 20, 800));
  now = 30_000;
  assert.deepEqual(c.take().map((x) => x.taskArn), ['task/a']);
  c.stop();
  assert.equal(host.streams.size, 0, 'every stream closed on stop');
});

test('adopted containers (found by the resync) start from their first reading: no history counted as news', async () => {
  const host = new FakeHost();
  host.running = [{ runtimeId: 'old', dockerName: 'x', labels: { [LABEL.task]: 'task/o' }, state: 'running', running: true, oomKilled: false, networkBindings: [] }];
  let now = 0;
  const c = new UsageCollector({ containers: host, stats: host, instanceId: 'i', log: pino({ level: 'silent' }), now: () => now, resyncMs: 3600_000 });
  c.start();
  host.handlers!.onReconnected();
  await tick();
  await tick();
  assert.equal(host.opened, 1);
  host.streams.get('old')!.onStats(stats(50e9, 1000e9, 5, 10_000_000));
  host.streams.get('old')!.onStats(stats(50e9, 1010e9, 5, 10_000_100));
  now = 10_000;
  const [u] = c.take();
  assert.equal(u!.rxBytes, 100);
  // Gone from the list at the next resync: its stream closes.
  host.running = [];
  host.handlers!.onReconnected();
  await tick();
  assert.equal(c.streams, 0);
  c.stop();
});
