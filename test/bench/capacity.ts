/**
 * `npm run bench:capacity`: how long a task waits for a host the cluster has
 * to provision (host group with the local provisioner, managed scaling),
 * against the same launch with a host already there. Prints figures; asserts
 * nothing.
 *
 * Cold: RunTask on the provider's strategy in a cluster with no hosts: the
 * task comes back PROVISIONING and waits for a host (scaler pass, launch,
 * agent start and join, the placer, container start) -> RUNNING; and the
 * same for a service of 1 (CreateService -> RUNNING).
 * Warm: RunTask on the provider's strategy with the host in service ->
 * RUNNING, and the service scaled 1 -> 2 on that host.
 */
import * as os from 'node:os';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { TEST_IMAGE } from '../helpers/docker';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SCALING_INTERVAL = process.env['BENCH_SCALING_INTERVAL'] ?? '1s';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000, pollMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

async function group(c: TestCluster, name: string): Promise<any> {
  return (await c.callStevedore('DescribeHostGroups', { hostGroupNames: [name] })).hostGroups[0];
}

async function running(c: TestCluster, service: string, n: number): Promise<true | undefined> {
  const s = (await c.call('DescribeServices', { services: [service] })).services[0];
  return s.runningCount >= n ? true : undefined;
}

async function main(): Promise<void> {
  const hooks: (() => unknown)[] = [];
  const c = await startCluster({
    agents: 0,
    test: { after: (fn) => hooks.push(fn) },
    readyTimeoutMs: 60_000,
    controlPlaneArgs: ['--capacity-scaling-interval', SCALING_INTERVAL, '--capacity-scale-in-cooldown', '1s', '--log-level', 'info'],
    env: { STEVEDORE_LOG_LEVEL: 'info' },
  });
  try {
    await c.call('RegisterTaskDefinition', { family: 'bench', containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 1 }] });
    const g = await c.callStevedore('CreateHostGroup', { hostGroupName: `bench-${c.name}`, cluster: c.name, minSize: 0, maxSize: 2, provisioner: { type: 'local', local: { hostIps: '127.0.20.200-127.0.20.203' } } });
    const name = g.hostGroup.hostGroupName as string;
    await c.call('CreateCapacityProvider', { name: `bench-cp-${process.pid}`, autoScalingGroupProvider: { autoScalingGroupArn: g.hostGroup.hostGroupArn, managedScaling: { status: 'ENABLED', targetCapacity: 100, instanceWarmupPeriod: 1 }, managedTerminationProtection: 'ENABLED' } });
    const provider = `bench-cp-${process.pid}`;
    await c.call('PutClusterCapacityProviders', { cluster: c.name, capacityProviders: [provider], defaultCapacityProviderStrategy: [{ capacityProvider: provider, weight: 1 }] });

    const coldRun: number[] = [];
    const cold: number[] = [];
    const join: number[] = [];
    const warmRun: number[] = [];
    const warmScale: number[] = [];
    const runTask = async (what: string): Promise<{ arn: string; ms: number }> => {
      const r0 = performance.now();
      const run = await c.call('RunTask', { taskDefinition: 'bench', capacityProviderStrategy: [{ capacityProvider: provider, weight: 1 }] });
      const arn = run.tasks[0]?.taskArn as string | undefined;
      if (!arn) throw new Error(`RunTask launched nothing: ${JSON.stringify(run.failures)}`);
      await until(what, async () => ((await c.call('DescribeTasks', { tasks: [arn] })).tasks[0].lastStatus === 'RUNNING' ? true : undefined));
      return { arn, ms: performance.now() - r0 };
    };
    const noHosts = () => until('the group back to 0 hosts', async () => ((await group(c, name)).hosts.length === 0 ? true : undefined), 120_000, 200);
    for (let round = 0; round < ROUNDS; round++) {
      // Cold RunTask: PROVISIONING until the group's new host joins.
      const first = await runTask('RunTask PROVISIONING -> RUNNING on a new host');
      coldRun.push(first.ms);
      await c.call('StopTask', { task: first.arn });
      await noHosts();
      const svc = `bench-${round}`;
      const t0 = performance.now();
      await c.call('CreateService', { serviceName: svc, taskDefinition: 'bench', desiredCount: 1 });
      await until('the first task RUNNING on a new host', () => running(c, svc, 1));
      cold.push(performance.now() - t0);
      const acts = (await c.callStevedore('DescribeHostGroupActivities', { hostGroupName: name })).activities;
      const launch = acts.find((a: any) => a.description.startsWith('Launching') && a.statusCode === 'Successful');
      if (launch) join.push((launch.endTime - launch.startTime) * 1000);

      // Warm: the host is there.
      const warm = await runTask('RunTask RUNNING');
      warmRun.push(warm.ms);
      await c.call('StopTask', { task: warm.arn });
      const s0 = performance.now();
      await c.call('UpdateService', { service: svc, desiredCount: 2 });
      await until('second task RUNNING on the same host', () => running(c, svc, 2));
      warmScale.push(performance.now() - s0);

      // Back to no hosts for the next round.
      await c.call('UpdateService', { service: svc, desiredCount: 0 });
      await c.call('DeleteService', { service: svc });
      await noHosts();
    }
    const f = (xs: number[]) => xs.map((x) => `${(x / 1000).toFixed(2)} s`).join(', ');
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    console.log(`machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; scaling interval ${SCALING_INTERVAL}`);
    console.log(`date: ${new Date().toISOString()}`);
    console.log(`cold: RunTask -> PROVISIONING -> RUNNING, host provisioned: ${f(coldRun)}   median ${(med(coldRun) / 1000).toFixed(2)} s`);
    console.log(`cold: CreateService(1) -> RUNNING, host provisioned:   ${f(cold)}   median ${(med(cold) / 1000).toFixed(2)} s`);
    console.log(`      of which launch -> host InService (activity):    ${f(join)}`);
    console.log(`warm: RunTask -> RUNNING, host in service:             ${f(warmRun)}   median ${(med(warmRun) / 1000).toFixed(2)} s`);
    console.log(`warm: UpdateService 1 -> 2 -> RUNNING, host in service: ${f(warmScale)}   median ${(med(warmScale) / 1000).toFixed(2)} s`);
    console.log(`ratio cold/warm (RunTask): ${(med(coldRun) / med(warmRun)).toFixed(1)}x`);
  } finally {
    for (const fn of hooks) await fn();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
