import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { freePort, startCluster, type TestCluster } from '../helpers/cluster';
import { listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// The metrics pipeline end to end on real Docker and HAProxy: agents measure
// their containers through Docker stats streams every 2 s, the control plane
// publishes ECS/ELB figures every 2 s into the metric store (read back with
// Debian's AWS CLI) and serves them to Prometheus on a loopback listener.
// Agent 0 (127.0.9.2) runs the load balancer, agent 1 (127.0.9.3) the tasks.

const LB_IP = '127.0.9.2';
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let metricsPort: number;
let httpPort: number;
let tgArn: string;
const ON_TASK_HOST = [{ type: 'memberOf', expression: 'attribute:role == web' }];

before(async () => {
  metricsPort = await freePort();
  httpPort = await freePort(LB_IP);
  c = await startCluster({
    agents: 2,
    test: hooks,
    readyTimeoutMs: 60_000,
    hostIp: (i) => `127.0.9.${2 + i}`,
    attributes: (i) => ({ role: i === 0 ? 'lb' : 'web' }),
    agentArgs: () => ['--metrics-interval', '2'],
    controlPlaneArgs: ['--metrics-period', '2s', '--metrics-listen', `127.0.0.1:${metricsPort}`],
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

/** Debian's AWS CLI v2 against the cluster's endpoint, with its admin key and nothing of the caller's AWS setup. */
function awsCloudWatch(args: string[]): Promise<any> {
  const AWS_CLI = '/usr/bin/aws';
  assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: apt-get install awscli`);
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env['PATH'], HOME: process.env['HOME'], AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile, AWS_CONFIG_FILE: '/dev/null', AWS_DEFAULT_REGION: 'us-east-1' };
    const child = spawn(AWS_CLI, ['--endpoint-url', c.endpoint, '--output', 'json', 'cloudwatch', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`aws cloudwatch ${args[0]} exited ${code}: ${err}`));
      resolve(out.trim() ? JSON.parse(out) : {});
    });
  });
}

/** One scrape, parsed: `name{labels}` -> value. */
async function scrape(): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: metricsPort, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
      })
      .on('error', reject);
  });
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(m, `a Prometheus text-format sample line: ${line}`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

function serviceGauge(samples: Map<string, number>, name: string, service: string): number | undefined {
  return samples.get(`${name}{cluster="${c.name}",service="${service}"}`);
}

async function runService(name: string, containerDefinition: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<void> {
  await c.call('RegisterTaskDefinition', { family: `${c.name}-${name}`, containerDefinitions: [{ name, image: TEST_IMAGE, essential: true, stopTimeout: 1, ...containerDefinition }] });
  await c.call('CreateService', { serviceName: name, taskDefinition: `${c.name}-${name}`, desiredCount: 1, placementConstraints: ON_TASK_HOST, ...extra });
  await waitFor(async () => (await c.call('DescribeServices', { services: [name] })).services[0].runningCount === 1, { description: `service ${name} running`, timeoutMs: 30_000, intervalMs: 250 });
}

/**
 * `docker stats`' CPU % of the service's container (a full core is 100 %),
 * every reading its stream prints during `ms`: the daemon's one-second
 * samples, as the agent's stream gets them.
 */
async function dockerCpuPercents(service: string, ms: number): Promise<number[]> {
  const [ctr] = (await listContainers({ 'stevedore.cluster': c.name })).filter((x) => x.state === 'running' && x.labels['com.amazonaws.ecs.task-definition-family'] === `${c.name}-${service}`);
  assert.ok(ctr, `a running container of ${service}`);
  const child = spawn('docker', ['stats', '--format', '{{.CPUPerc}}', ctr.id], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise((r) => child.once('exit', r));
  // SIGKILL: docker stats ignores SIGTERM while streaming.
  setTimeout(() => child.kill('SIGKILL'), ms);
  await exited;
  // The stream redraws the screen with escape codes between readings.
  return [...out.matchAll(/([0-9.]+)%/g)].map((m) => Number(m[1])).filter((x) => x > 0);
}

test('a busy loop with cpu 256 reports CPUUtilization at its real share (docker stats)', async () => {
  await runService('burn', { command: ['sh', '-c', 'while :; do :; done'], cpu: 256, memory: 32 });
  const started = Date.now();
  // Within two intervals of the agent seeing it (plus one publish period).
  const first = await waitFor(async () => serviceGauge(await scrape(), 'stevedore_service_cpu_utilization_percent', 'burn'), {
    description: 'CPUUtilization of service burn in the Prometheus scrape',
    timeoutMs: 15_000,
    intervalMs: 250,
  });
  assert.ok(Date.now() - started < 15_000);
  assert.ok(first > 0);
  // No hard limit: the loop takes what the host gives it, up to a core (1024 units = 400 % of 256).
  // Compare with docker stats over the same seconds: ours = docker's % x 1024 / 256. Both are
  // averages of the daemon's samples over a few seconds, on a shared machine whose load moves.
  const ours: number[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const v = serviceGauge(await scrape(), 'stevedore_service_cpu_utilization_percent', 'burn');
      if (v !== undefined) ours.push(v);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const theirs = (await dockerCpuPercents('burn', 8000)).map((p) => p * 4);
  sampling = false;
  await sampler;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(theirs.length >= 3 && ours.length >= 3, `readings from both (docker ${theirs.length}, ours ${ours.length})`);
  const expected = mean(theirs);
  const got = mean(ours);
  // How much of a core the loop gets depends on the machine's load (shared here): what matters is agreeing with Docker.
  assert.ok(expected > 10, `the loop got some CPU (docker stats x4 = ${expected.toFixed(0)} %)`);
  assert.ok(got <= 800 + 1, `at most the host's two cores (${got})`);
  assert.ok(
    Math.abs(got - expected) <= Math.max(0.3 * expected, 50),
    `CPUUtilization ${got.toFixed(0)} % near docker stats' ${expected.toFixed(0)} % (ours ${ours.map((x) => x.toFixed(0)).join(', ')}; docker ${theirs.map((x) => x.toFixed(0)).join(', ')})`,
  );
  // The same figure through CloudWatch's API as Debian's AWS CLI calls it: 1-second periods hold one
  // datapoint each (one every 2 s), so Maximum is the datapoint itself; the scrape's value is among them.
  const scraped = serviceGauge(await scrape(), 'stevedore_service_cpu_utilization_percent', 'burn')!;
  const end = new Date(Date.now() + 2000);
  const stats = await awsCloudWatch([
    'get-metric-statistics', '--namespace', 'AWS/ECS', '--metric-name', 'CPUUtilization',
    '--dimensions', `Name=ClusterName,Value=${c.name}`, 'Name=ServiceName,Value=burn',
    '--start-time', new Date(end.getTime() - 30_000).toISOString(), '--end-time', end.toISOString(),
    '--period', '1', '--statistics', 'Maximum',
  ]);
  const points = (stats.Datapoints as { Maximum: number; Unit: string }[]) ?? [];
  assert.ok(points.length >= 3, `datapoints from the CLI: ${JSON.stringify(stats)}`);
  assert.ok(points.every((d) => d.Unit === 'Percent'));
  assert.ok(points.some((d) => Math.abs(d.Maximum - scraped) <= 1e-6 * Math.max(1, scraped)), `the scrape's ${scraped} is among the CLI's ${points.map((d) => d.Maximum).join(', ')}`);
  // The CLI reads the same API: current utilization and a chart; JSON for scripts.
  const human = await c.cli(['metrics', 'service', 'burn', '--period', '1', '--minutes', '1']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /CPUUtilization\s+\d+\.\d %/);
  assert.match(human.stdout, /burn CPUUtilization \(%\), last \d+ periods:\n[\s\S]*┤/, 'an asciichart');
  const json = await c.cli(['--output', 'json', 'metrics', 'service', 'burn', '--period', '1', '--minutes', '1']);
  assert.equal(json.code, 0, json.stderr);
  const cpuSeries = (JSON.parse(json.stdout) as { metrics: { metric: string; points: { value: number }[] }[] }).metrics.find((m) => m.metric === 'CPUUtilization')!;
  assert.ok(cpuSeries.points.length >= 3 && cpuSeries.points.every((p) => p.value > 0), JSON.stringify(cpuSeries));
  const clusterCli = await c.cli(['metrics', 'cluster', '--period', '5', '--minutes', '1']);
  assert.equal(clusterCli.code, 0, clusterCli.stderr);
  assert.match(clusterCli.stdout, /CPUReservation\s+\d+\.\d %/);
  await awsCloudWatch(['put-metric-alarm', '--alarm-name', 'burn-cpu', '--namespace', 'AWS/ECS', '--metric-name', 'CPUUtilization', '--dimensions', `Name=ClusterName,Value=${c.name}`, 'Name=ServiceName,Value=burn', '--statistic', 'Average', '--period', '10', '--evaluation-periods', '1', '--threshold', '1', '--comparison-operator', 'GreaterThanThreshold']);
  const alarms = await c.cli(['alarm', 'list']);
  assert.equal(alarms.code, 0, alarms.stderr);
  assert.match(alarms.stdout, /burn-cpu\s+\S+\s+Average CPUUtilization > 1 for 1\/1 x 10s/);
  const described = await c.cli(['alarm', 'describe', 'burn-cpu']);
  assert.equal(described.code, 0, described.stderr);
  assert.match(described.stdout, new RegExp(`Metric:\\s+AWS/ECS CPUUtilization \\(ClusterName=${c.name}, ServiceName=burn\\)`));
  const cluster = (await scrape()).get(`stevedore_cluster_cpu_reservation_percent{cluster="${c.name}"}`);
  assert.ok(cluster !== undefined && cluster > 0, 'CPUReservation of the cluster');
  // The loop would slow every later step on a two-core machine.
  await c.call('UpdateService', { service: 'burn', desiredCount: 0 });
});

test('a memory-filling task raises MemoryUtilization', async () => {
  // 48 MiB written to the container's /dev/shm (tmpfs: charged to its memory cgroup, not page cache that
  // docker stats leaves out) in well under a second; hard limit 128 MiB.
  await runService('fill', { command: ['sh', '-c', 'dd if=/dev/zero of=/dev/shm/fill bs=1M count=48 && while :; do sleep 1; done'], memory: 128 });
  let last: number | undefined;
  const u = await waitFor(
    async () => {
      last = serviceGauge(await scrape(), 'stevedore_service_memory_utilization_percent', 'fill');
      return last !== undefined && last > 25 ? last : undefined;
    },
    { description: 'MemoryUtilization of service fill above 25 % (48 of 128 MiB)', timeoutMs: 30_000, intervalMs: 250 },
  ).catch((e: Error) => {
    throw new Error(`${e.message}; last MemoryUtilization ${last}`);
  });
  assert.ok(u < 100, `below the hard limit (${u})`);
});

test('requests through a load balancer show up in RequestCount and RequestCountPerTarget', async () => {
  const tgName = `${c.name}-web`.slice(-32).replace(/^-+/, '');
  tgArn = (await c.callStevedore('CreateTargetGroup', { Name: tgName, Protocol: 'HTTP', Port: 8080, HealthCheckPath: '/', HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1, HealthyThresholdCount: 2 })).TargetGroups[0].TargetGroupArn;
  const alb = (await c.callStevedore('CreateLoadBalancer', { Name: `${c.name}-alb`.slice(-32).replace(/^-+/, ''), Type: 'application', Cluster: c.name, Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  await c.callStevedore('CreateListener', { LoadBalancerArn: alb, Protocol: 'HTTP', Port: httpPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tgArn }] });
  await runService(
    'web',
    { command: ['sh', '-c', 'mkdir -p /www; echo hi > /www/index.html; exec httpd -f -p 8080 -h /www'], memory: 24, portMappings: [{ containerPort: 8080 }] },
    { loadBalancers: [{ targetGroupArn: tgArn, containerName: 'web', containerPort: 8080 }] },
  );
  const tgLabel = tgArn.slice(tgArn.indexOf(':targetgroup/') + 1);
  const lbLabel = alb.slice(alb.indexOf(':loadbalancer/') + ':loadbalancer/'.length);
  const key = (name: string) => `${name}{target_group="${tgLabel}",load_balancer="${lbLabel}"}`;
  await waitFor(async () => (await scrape()).get(key('stevedore_target_group_healthy_host_count')) === 1, { description: 'HealthyHostCount 1', timeoutMs: 30_000, intervalMs: 250 });
  const before = (await scrape()).get(key('stevedore_target_group_requests_total')) ?? 0;
  const N = 25;
  for (let i = 0; i < N; i++) {
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ host: LB_IP, port: httpPort, path: '/', agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      }).on('error', reject);
    });
    assert.equal(status, 200);
  }
  let perTargetSeen = 0;
  await waitFor(
    async () => {
      const s = await scrape();
      perTargetSeen = Math.max(perTargetSeen, s.get(key('stevedore_target_group_request_count_per_target')) ?? 0);
      return (s.get(key('stevedore_target_group_requests_total')) ?? 0) - before >= N;
    },
    { description: `${N} requests counted for the target group`, timeoutMs: 20_000, intervalMs: 200 },
  );
  // One healthy target: per target is the whole count of a period, so some period saw requests.
  assert.ok(perTargetSeen > 0, 'RequestCountPerTarget was above 0 in some period');
  const s = await scrape();
  assert.equal(s.get(key('stevedore_target_group_http_code_target_5xx_count')) ?? 0, 0);
  assert.ok((s.get('stevedore_connected_agents') ?? 0) >= 2, 'both agents connected');
  assert.ok([...s.keys()].some((k) => k.startsWith('stevedore_api_requests_total{action="CreateService"')), 'API requests counted per action');
});
