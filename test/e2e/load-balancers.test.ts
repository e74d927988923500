import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as https from 'node:https';
import type * as tls from 'node:tls';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';
import { awsCli, AWS_CLI } from '../helpers/aws-cli';
import { curl, httpGet, keepAliveClients, masterReloads, tcpExchange } from '../helpers/load-balancer-clients';

// Load balancers end to end on real Docker and real HAProxy: agent 0 runs the
// load balancers (attribute role=lb, 127.0.0.60), agents 1-2 run the tasks
// (role=web, 127.0.0.61-62). All traffic the test sends goes to 127.0.0.0/8
// (the agents' own target checks probe their containers as docker-proxy does).

/** The loopback /24 of the hosts; another one lets a second copy of this file run at once (STEVEDORE_E2E_LB_NET=127.0.27). */
const NET = process.env['STEVEDORE_E2E_LB_NET'] ?? '127.0.0';
const LB_IP = `${NET}.60`;
/** A plain HTTP server of the test itself, registered as an `ip` target through `aws elbv2`. */
const IP_TARGET = NET === '127.0.0' ? '127.0.15.20' : `${NET}.20`;
const HTTP_PORT = 18080;
const TCP_PORT = 19000;
const DEREGISTRATION_DELAY_S = 6;
/** The HTTPS listener's port and the test certificates (a.example, b.example), for the redirect test. */
const HTTPS_PORT = HTTP_PORT + 2;
let certDir = '';
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
const tg: Record<string, string> = {};

/**
 * A web task that answers with its container's hostname: `/id`, `/health`
 * (a file the test may delete), `/cgi-bin/slow` (3 s, for draining) and, for
 * the api flavour, `/api/id`.
 */
function webTask(family: string, label: string, extra: Record<string, unknown> = {}) {
  const script = [
    `echo "${label} $(cat /etc/hostname)" > /www/id`,
    'mkdir -p /www/api /www/cgi-bin',
    'cp /www/id /www/api/id',
    'echo ok > /www/health',
    `printf '#!/bin/sh\\nsleep 3\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\ncat /www/id\\n' > /www/cgi-bin/slow`,
    'busybox chmod 755 /www/cgi-bin/slow',
    'exec httpd -f -p 8080 -h /www',
  ].join('; ');
  return {
    family,
    containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['sh', '-c', script], memory: 24, portMappings: [{ containerPort: 8080 }], stopTimeout: 2, ...extra }],
  };
}

const ON_WEB_HOSTS = [{ type: 'memberOf', expression: 'attribute:role == web' }];

before(async () => {
  c = await startCluster({
    agents: 3,
    test: hooks,
    readyTimeoutMs: 60_000,
    hostIp: (i) => `${NET}.${60 + i}`,
    attributes: (i) => ({ role: i === 0 ? 'lb' : 'web' }),
  });
  await c.call('RegisterTaskDefinition', webTask('lb-web', 'web'));
  await c.call('RegisterTaskDefinition', webTask('lb-api', 'api'));
  await c.call('RegisterTaskDefinition', {
    family: 'lb-tcp',
    containerDefinitions: [
      {
        name: 'echo',
        image: TEST_IMAGE,
        // Not busybox `nc -ll -e`: it listens with a backlog of 2 and vforks a shell per
        // connection, so a few connections at once (HAProxy's checks count too) overflow its
        // accept queue and a dropped SYN stalls a read for seconds. busybox httpd accepts with
        // a larger backlog; the NLB forwards its bytes like any TCP stream.
        command: ['sh', '-c', 'mkdir -p /srv && cat /etc/hostname > /srv/id && exec httpd -f -p 9000 -h /srv'],
        memory: 16,
        portMappings: [{ containerPort: 9000 }],
        stopTimeout: 2,
      },
    ],
  });
  const health = { HealthCheckPath: '/health', HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 };
  for (const name of ['web', 'api']) {
    tg[name] = (await c.callStevedore('CreateTargetGroup', { Name: `${c.name}-${name}`.slice(-32).replace(/^-+/, ''), Protocol: 'HTTP', Port: 8080, ...health })).TargetGroups[0].TargetGroupArn;
  }
  tg['tcp'] = (await c.callStevedore('CreateTargetGroup', { Name: `${c.name}-tcp`.slice(-32).replace(/^-+/, ''), Protocol: 'TCP', Port: 9000, HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1, HealthyThresholdCount: 2 })).TargetGroups[0].TargetGroupArn;
  for (const arn of Object.values(tg)) {
    await c.callStevedore('ModifyTargetGroupAttributes', { TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_S) }] });
  }
  const alb = (await c.callStevedore('CreateLoadBalancer', { Name: `${c.name}-alb`.slice(-32).replace(/^-+/, ''), Type: 'application', Cluster: c.name, Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  const listener = (await c.callStevedore('CreateListener', { LoadBalancerArn: alb, Protocol: 'HTTP', Port: HTTP_PORT, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg['web'] }] })).Listeners[0].ListenerArn;
  await c.callStevedore('CreateRule', { ListenerArn: listener, Priority: 10, Conditions: [{ Field: 'path-pattern', Values: ['/api/*'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg['api'] }] });
  await c.callStevedore('CreateRule', { ListenerArn: listener, Priority: 20, Conditions: [{ Field: 'host-header', Values: ['admin.example'] }], Actions: [{ Type: 'forward', TargetGroupArn: tg['api'] }] });
  const nlb = (await c.callStevedore('CreateLoadBalancer', { Name: `${c.name}-nlb`.slice(-32).replace(/^-+/, ''), Type: 'network', Cluster: c.name, Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  await c.callStevedore('CreateListener', { LoadBalancerArn: nlb, Protocol: 'TCP', Port: TCP_PORT, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg['tcp'] }] });
  await waitFor(async () => (await c.callStevedore('DescribeLoadBalancers', { LoadBalancerArns: [alb, nlb] })).LoadBalancers.every((l: any) => l.State.Code === 'active'), {
    description: 'both load balancers active on the lb host',
    timeoutMs: 30_000,
    intervalMs: 250,
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

const get = (path: string, host?: string, timeoutMs?: number) => httpGet(LB_IP, HTTP_PORT, path, host, timeoutMs);
const keepAliveLoad = (n: number, path = '/id') => keepAliveClients(LB_IP, HTTP_PORT, n, path);
const haproxyReloads = () => masterReloads(`${c.dataDir}/agent-0/loadbalancer/master.sock`);
const tcpRead = (timeoutMs = 5000, port = TCP_PORT) => tcpExchange(LB_IP, port, timeoutMs);
const aws = (args: string[]) => awsCli(c, args);

async function targetStates(arn: string): Promise<{ id: string; port: number; state: string; reason?: string; description?: string }[]> {
  const r = await c.callStevedore('DescribeTargetHealth', { TargetGroupArn: arn });
  return r.TargetHealthDescriptions.map((d: any) => ({ id: d.Target.Id, port: d.Target.Port, state: d.TargetHealth.State, reason: d.TargetHealth.Reason, description: d.TargetHealth.Description }));
}

function healthyTargets(arn: string, n: number, timeoutMs = 90_000) {
  return waitFor(
    async () => {
      const s = await targetStates(arn);
      return s.length === n && s.every((x) => x.state === 'healthy') ? s : undefined;
    },
    { description: `${n} healthy targets in ${arn}`, timeoutMs, intervalMs: 250 },
  );
}

async function serviceTasks(name: string): Promise<any[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: name })).taskArns;
  return arns.length ? (await c.call('DescribeTasks', { tasks: arns })).tasks : [];
}

/** The hostname Docker gave each running container of a service (what `/id` answers). */
async function hostnames(name: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const t of await serviceTasks(name)) {
    const [ctr] = await listContainers({ 'stevedore.task': t.taskArn });
    if (!ctr) continue;
    const { stdout } = await docker(['inspect', '--format', '{{.Config.Hostname}}', ctr.id]);
    out.set(stdout.trim(), t.taskArn);
  }
  return out;
}

async function createService(name: string, family: string, count: number, targetGroup: string, containerName = 'web', containerPort = 8080, extra: Record<string, unknown> = {}) {
  await c.call('CreateService', {
    serviceName: name,
    taskDefinition: family,
    desiredCount: count,
    placementConstraints: ON_WEB_HOSTS,
    loadBalancers: [{ targetGroupArn: targetGroup, containerName, containerPort }],
    ...extra,
  });
}

async function events(name: string): Promise<string[]> {
  return ((await c.call('DescribeServices', { services: [name] })).services[0].events as { message: string }[]).map((e) => e.message);
}

test('a 3-task web service behind an application load balancer: requests are spread over all three', async () => {
  await createService('web', 'lb-web', 3, tg['web']!);
  await healthyTargets(tg['web']!, 3);
  const names = await hostnames('web');
  assert.equal(names.size, 3);
  const seen = new Map<string, number>();
  for (let i = 0; i < 30; i++) {
    const r = await get('/id');
    assert.equal(r.status, 200);
    const host = r.body.replace(/^web /, '');
    seen.set(host, (seen.get(host) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), [...names.keys()].sort(), 'every task answered, and only the tasks');
  for (const n of seen.values()) assert.ok(n >= 5, `round robin spreads evenly: ${JSON.stringify([...seen])}`);
  assert.ok((await events('web')).some((m) => /registered \d targets in \(target-group /.test(m)));
});

test('path and host rules route to two services', async () => {
  await createService('api', 'lb-api', 2, tg['api']!);
  await healthyTargets(tg['api']!, 2);
  const api = await hostnames('api');
  const web = await hostnames('web');
  for (let i = 0; i < 6; i++) {
    const byPath = await get('/api/id');
    assert.match(byPath.body, /^api /);
    assert.ok(api.has(byPath.body.slice(4)));
    const byHost = await get('/id', 'admin.example');
    assert.match(byHost.body, /^api /, 'host-header rule');
    const byDefault = await get('/id', 'www.example');
    assert.match(byDefault.body, /^web /, 'default action');
    assert.ok(web.has(byDefault.body.slice(4)));
  }
});

test('a network load balancer forwards TCP', async () => {
  await createService('tcp', 'lb-tcp', 2, tg['tcp']!, 'echo', 9000);
  await healthyTargets(tg['tcp']!, 2);
  const names = await hostnames('tcp');
  // "healthy" is HAProxy's L4 check, which reaches the host port's docker-proxy, not the
  // container: docker-proxy accepts whether or not it can reach the container yet. Its first
  // connection to a fresh container can wait out SYN retransmissions (seen: SYN-SENT to the
  // container's bridge address for over 5 s on a loaded shared host). So first each target
  // answers once, with time for that; then every read is prompt and round robin reaches both.
  const warm = new Set<string>();
  await waitFor(async () => (warm.add(await tcpRead(20_000)), names.size === 2 && [...names.keys()].every((n) => warm.has(n))), {
    description: 'each TCP target answered through the NLB once',
    timeoutMs: 60_000,
    intervalMs: 100,
  });
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) seen.add(await tcpRead());
  assert.deepEqual([...seen].sort(), [...names.keys()].sort());
});

test("a TCP target whose container does not listen yet is not healthy (docker-proxy accepts for it; the host agent's target check says no), then is once it listens", async () => {
  await c.call('RegisterTaskDefinition', {
    family: 'lb-tcp-late',
    containerDefinitions: [{ name: 'late', image: TEST_IMAGE, command: ['sh', '-c', 'while [ ! -f /go ]; do sleep 0.2; done; echo late > /id; exec httpd -f -p 9000 -h /'], memory: 16, portMappings: [{ containerPort: 9000 }], stopTimeout: 2 }],
  });
  const late = (await c.callStevedore('CreateTargetGroup', { Name: `${c.name}-late`.slice(-32).replace(/^-+/, ''), Protocol: 'TCP', Port: 9000, HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 })).TargetGroups[0].TargetGroupArn;
  const nlb = (await c.callStevedore('DescribeLoadBalancers', { Names: [`${c.name}-nlb`.slice(-32).replace(/^-+/, '')] })).LoadBalancers[0].LoadBalancerArn;
  await c.callStevedore('CreateListener', { LoadBalancerArn: nlb, Protocol: 'TCP', Port: TCP_PORT + 1, DefaultActions: [{ Type: 'forward', TargetGroupArn: late }] });
  // A long grace period: the orchestrator must not replace the task while the test holds it unready.
  await createService('late', 'lb-tcp-late', 1, late, 'late', 9000, { healthCheckGracePeriodSeconds: 300 });
  const unhealthy = await waitFor(async () => (await targetStates(late)).find((x) => x.state === 'unhealthy'), { description: 'the not-yet-listening target unhealthy', timeoutMs: 60_000, intervalMs: 250 });
  assert.match(unhealthy.description ?? '', /does not accept connections/, 'the target check said so, though docker-proxy accepts the published port');
  const [task] = await serviceTasks('late');
  const [ctr] = await listContainers({ 'stevedore.task': task.taskArn });
  await docker(['exec', ctr!.id, 'busybox', 'touch', '/go']);
  await healthyTargets(late, 1, 30_000);
  assert.equal(await tcpRead(10_000, TCP_PORT + 1), 'late');
  await c.call('DeleteService', { service: 'late', force: true });
});

test('a task whose health endpoint fails is marked unhealthy, taken out of rotation and replaced', async () => {
  const names = await hostnames('web');
  const [victimHost, victimTask] = [...names.entries()][0]!;
  const [ctr] = await listContainers({ 'stevedore.task': victimTask });
  // Within the service's health check grace period an unhealthy target is not acted on
  // (ECS), so the unhealthy state lasts long enough to be seen; the grace then ends.
  await c.call('UpdateService', { service: 'web', healthCheckGracePeriodSeconds: 3600 });
  await docker(['exec', ctr!.id, 'busybox', 'rm', '/www/health']);
  const bad = await waitFor(async () => (await targetStates(tg['web']!)).find((x) => x.state === 'unhealthy'), { description: 'the target unhealthy', timeoutMs: 30_000, intervalMs: 100 });
  assert.equal(bad.reason, 'Target.ResponseCodeMismatch');
  assert.equal(bad.description, 'Health checks failed with these codes: [404]');
  for (let i = 0; i < 12; i++) assert.ok(!(await get('/id')).body.includes(victimHost), 'out of rotation');
  assert.equal((await c.call('DescribeTasks', { tasks: [victimTask] })).tasks[0].desiredStatus, 'RUNNING', 'not replaced within the grace period');
  await c.call('UpdateService', { service: 'web', healthCheckGracePeriodSeconds: 0 });
  const stopped = await waitFor(
    async () => {
      const d = (await c.call('DescribeTasks', { tasks: [victimTask] })).tasks[0];
      return d.desiredStatus === 'STOPPED' ? d : undefined;
    },
    { description: 'the unhealthy task stopped', timeoutMs: 30_000, intervalMs: 250 },
  );
  assert.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${tg['web']})`);
  assert.ok((await events('web')).some((m) => m.includes('is unhealthy in (target-group') && m.includes('[404]')));
  await waitFor(async () => (await hostnames('web')).size === 3 && !(await hostnames('web')).has(victimHost), { description: 'a replacement task', timeoutMs: 60_000, intervalMs: 500 });
  await healthyTargets(tg['web']!, 3);
});

test('the deregistration delay lets in-flight slow requests finish', async () => {
  // One slow request per task (round robin), then a scale-in drains one of them.
  const slow = [get('/cgi-bin/slow'), get('/cgi-bin/slow'), get('/cgi-bin/slow')];
  await new Promise((r) => setTimeout(r, 500));
  await c.call('UpdateService', { service: 'web', desiredCount: 2 });
  const draining = await waitFor(async () => (await targetStates(tg['web']!)).find((x) => x.state === 'draining'), { description: 'a draining target', timeoutMs: 15_000, intervalMs: 100 });
  assert.ok(draining);
  const results = await Promise.all(slow);
  assert.deepEqual(results.map((r) => r.status), [200, 200, 200], 'every in-flight request finished');
  const stoppedArn = ((await c.call('ListTasks', { serviceName: 'web', desiredStatus: 'STOPPED' })).taskArns as string[]).at(-1)!;
  const during = (await c.call('DescribeTasks', { tasks: [stoppedArn] })).tasks[0];
  assert.ok(['RUNNING', 'DEACTIVATING', 'STOPPING', 'STOPPED'].includes(during.lastStatus));
  assert.ok((await events('web')).some((m) => m === '(service web) has begun draining connections on 1 tasks.'));
  await healthyTargets(tg['web']!, 2, 30_000);
});

test('a rolling deployment under continuous HTTP load completes with zero failed requests', async () => {
  await c.call('UpdateService', { service: 'web', desiredCount: 3 });
  await healthyTargets(tg['web']!, 3);
  const rev = await c.call('RegisterTaskDefinition', webTask('lb-web', 'web-v2'));
  let ok = 0;
  let failed = 0;
  const failures: string[] = [];
  let v2 = 0;
  let stop = false;
  const deadline = Date.now() + 180_000;
  const MAX_REQUESTS = 50_000;
  const worker = async () => {
    while (!stop && Date.now() < deadline && ok + failed < MAX_REQUESTS) {
      try {
        const r = await get('/id');
        if (r.status === 200) {
          ok++;
          if (r.body.startsWith('web-v2 ')) v2++;
        } else {
          failed++;
          failures.push(`HTTP ${r.status}`);
        }
      } catch (e) {
        failed++;
        failures.push((e as Error).message);
      }
    }
  };
  const load = Promise.all([worker(), worker(), worker(), worker()]);
  const kept = keepAliveLoad(2);
  const updated = await c.call('UpdateService', { service: 'web', taskDefinition: `${rev.taskDefinition.family}:${rev.taskDefinition.revision}` });
  const id = updated.service.deployments[0].id as string;
  await waitFor(
    async () => {
      const s = (await c.call('DescribeServices', { services: ['web'] })).services[0];
      const d = (s.deployments as any[]).find((x) => x.id === id);
      if (d?.rolloutState === 'FAILED') throw new Error(`deployment failed: ${d.rolloutStateReason}`);
      return d?.rolloutState === 'COMPLETED' && s.deployments.length === 1 ? true : undefined;
    },
    { description: 'the deployment COMPLETED with the old tasks gone', timeoutMs: 150_000, intervalMs: 500 },
  );
  stop = true;
  await load;
  const k = await kept.stop();
  assert.equal(failed, 0, `failed requests: ${failures.slice(0, 10).join(', ')}`);
  assert.deepEqual(k.failures.slice(0, 10), [], `failed keep-alive requests (of ${k.ok + k.failures.length})`);
  assert.ok(k.ok > 100, `keep-alive load ran throughout (${k.ok} requests)`);
  assert.ok(ok > 100, `load ran throughout (${ok} requests)`);
  assert.ok(v2 > 0, 'the new revision served');
  await waitFor(async () => (await targetStates(tg['web']!)).every((x) => x.state === 'healthy') || undefined, { description: 'the old targets drained and removed', timeoutMs: 30_000, intervalMs: 250 });
  const last = await Promise.all(Array.from({ length: 6 }, () => get('/id')));
  assert.ok(last.every((r) => r.body.startsWith('web-v2 ')), 'only the new revision serves once the old tasks drained');
});

test('a killed task container under keep-alive load: zero failed requests, and its target leaves without a reload', async () => {
  await healthyTargets(tg['web']!, 3);
  const names = await hostnames('web');
  const [victimHost, victimTask] = [...names.entries()][0]!;
  const [ctr] = await listContainers({ 'stevedore.task': victimTask });
  const reloads = await haproxyReloads();
  const kept = keepAliveLoad(4);
  await waitFor(() => kept.ok > 50, { description: 'keep-alive load running', timeoutMs: 15_000, intervalMs: 50 });
  await docker(['kill', ctr!.id]);
  const killedAt = Date.now();
  // The task stops and its target leaves (a task whose container is already
  // dead on its agent has nothing in flight to drain, so its target may go at
  // once rather than pass through draining); a replacement registers.
  await waitFor(
    async () => {
      const s = await targetStates(tg['web']!);
      const now = await hostnames('web');
      return s.length === 3 && s.every((x) => x.state === 'healthy') && now.size === 3 && !now.has(victimHost) ? true : undefined;
    },
    { description: 'the killed task replaced and its target removed', timeoutMs: 90_000, intervalMs: 250 },
  );
  const before = kept.ok;
  await waitFor(() => kept.ok > before + 50, { description: 'load after the change', timeoutMs: 15_000, intervalMs: 50 });
  const k = await kept.stop();
  // A response the container was sending when it was SIGKILLed is cut off
  // mid-way ('aborted': busybox httpd writes the headers and the file
  // separately); no load balancer can finish it. At most one such request per
  // client connection, right at the kill; every other request must succeed.
  const cutByKill = (i: number) => k.failures[i] === 'aborted' && k.failedAt[i]! <= killedAt + 2000;
  const atKill = k.failures.filter((_, i) => cutByKill(i));
  const others = k.failures.filter((_, i) => !cutByKill(i));
  assert.deepEqual(others.slice(0, 10), [], `failed keep-alive requests (of ${k.ok + k.failures.length}), besides ${atKill.length} cut off by the kill`);
  assert.ok(atKill.length <= 4, `at most one response cut off per connection (4): ${atKill.length}`);
  assert.equal(await haproxyReloads(), reloads, 'targets removed and added through the runtime API: HAProxy did not reload');
  assert.ok(kept.bodies.slice(-30).every((b) => !b.includes(victimHost)), 'the killed task no longer answers');
});

test('Debian\'s AWS CLI drives ELBv2\'s own protocol: target group, load balancer (placement as tags), listener, rule, targets, health', async () => {
  assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: apt-get install awscli`);
  const server = http.createServer((req, res) => res.end(req.url === '/health' ? 'ok' : 'from the ip target'));
  const port = await new Promise<number>((resolve) => server.listen(0, IP_TARGET, () => resolve((server.address() as net.AddressInfo).port)));
  hooks.after(() => new Promise<void>((r) => server.close(() => r())));
  const name = (x: string) => `${c.name}-${x}`.slice(-32).replace(/^-+/, '');
  const tgArn = (
    await aws(['elbv2', 'create-target-group', '--name', name('cli'), '--protocol', 'HTTP', '--port', String(port), '--vpc-id', 'vpc-local', '--target-type', 'ip',
      '--health-check-path', '/health', '--health-check-interval-seconds', '5', '--health-check-timeout-seconds', '2', '--healthy-threshold-count', '2'])
  ).TargetGroups[0].TargetGroupArn;
  const created = await aws(['elbv2', 'create-load-balancer', '--name', name('cli'), '--subnets', 'subnet-a', 'subnet-b',
    '--tags', `Key=stevedore:cluster,Value=${c.name}`, 'Key=stevedore:placement,Value=attribute:role == lb']);
  const lbArn = created.LoadBalancers[0].LoadBalancerArn;
  assert.match(created.LoadBalancers[0].CreatedTime, /^\d{4}-\d\d-\d\dT/, 'an ISO 8601 timestamp, as the Query protocol has them');
  const listenerArn = (await aws(['elbv2', 'create-listener', '--load-balancer-arn', lbArn, '--protocol', 'HTTP', '--port', String(HTTP_PORT + 1), '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`])).Listeners[0].ListenerArn;
  await aws(['elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', '5', '--conditions', 'Field=path-pattern,Values=/api/*', '--actions', `Type=forward,TargetGroupArn=${tg['api']}`]);
  await aws(['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', `Id=${IP_TARGET},Port=${port}`]);
  await waitFor(async () => (await aws(['elbv2', 'describe-target-health', '--target-group-arn', tgArn])).TargetHealthDescriptions[0]?.TargetHealth.State === 'healthy', {
    description: 'the ip target healthy, as the AWS CLI reads it',
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  const body = (path: string) =>
    new Promise<string>((resolve, reject) => {
      http.get({ host: LB_IP, port: HTTP_PORT + 1, path, agent: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => (b += d.toString()));
        res.on('end', () => resolve(b.trim()));
      }).on('error', reject);
    });
  assert.equal(await body('/'), 'from the ip target');
  assert.match(await body('/api/id'), /^api /, 'the rule made with the AWS CLI routes to the api service');
  const tags = await aws(['elbv2', 'describe-tags', '--resource-arns', lbArn]);
  assert.deepEqual(tags.TagDescriptions[0].Tags.map((t: any) => t.Key), ['stevedore:cluster', 'stevedore:placement']);
  await assert.rejects(aws(['elbv2', 'describe-load-balancers', '--names', name('nope')]), /LoadBalancerNotFound/);
  await aws(['elbv2', 'delete-load-balancer', '--load-balancer-arn', lbArn]);
});

test('HTTPS: certificates imported with `aws acm`, an HTTPS listener serves them by SNI (curl --cacert), over HTTP/2', async () => {
  const dir = mkdtempSync(`${tmpdir()}/sv-lb-certs-`);
  certDir = dir;
  hooks.after(() => rmSync(dir, { recursive: true, force: true }));
  const certArns: Record<string, string> = {};
  for (const name of ['a.example', 'b.example']) {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${dir}/${name}.key`, '-out', `${dir}/${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`], { stdio: 'ignore' });
    certArns[name] = (await aws(['acm', 'import-certificate', '--certificate', `fileb://${dir}/${name}.pem`, '--private-key', `fileb://${dir}/${name}.key`])).CertificateArn;
  }
  const described = await aws(['acm', 'describe-certificate', '--certificate-arn', certArns['b.example']!]);
  assert.equal(described.Certificate.DomainName, 'b.example');
  const alb = (await aws(['elbv2', 'describe-load-balancers', '--names', `${c.name}-alb`.slice(-32).replace(/^-+/, '')])).LoadBalancers[0].LoadBalancerArn;
  const port = HTTPS_PORT;
  const listener = (
    await aws(['elbv2', 'create-listener', '--load-balancer-arn', alb, '--protocol', 'HTTPS', '--port', String(port), '--certificates', `CertificateArn=${certArns['a.example']}`,
      '--ssl-policy', 'ELBSecurityPolicy-TLS13-1-2-2021-06', '--default-actions', `Type=forward,TargetGroupArn=${tg['web']}`])
  ).Listeners[0];
  assert.equal(listener.Protocol, 'HTTPS');
  await aws(['elbv2', 'add-listener-certificates', '--listener-arn', listener.ListenerArn, '--certificates', `CertificateArn=${certArns['b.example']}`]);
  const fetch = (name: string, extra: string[] = []) => curl(['--cacert', `${dir}/${name}.pem`, '--resolve', `${name}:${port}:${LB_IP}`, ...extra, `https://${name}:${port}/id`]);
  const first = await waitFor(async () => {
    const r = await fetch('b.example');
    return r.code === 0 && /^web/.test(r.out) ? r : undefined;
  }, { description: 'the HTTPS listener serving b.example', timeoutMs: 30_000, intervalMs: 250 });
  assert.match(first.out, /^web(-v2)? /, 'served by the web service, verified against b.example\'s own certificate: SNI picked it');
  const a = await fetch('a.example', ['-w', '\n%{http_version}', '--http2']);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /^web(-v2)? .*\n2$/s, 'a.example\'s certificate, over HTTP/2 (ALPN h2)');
  const wrong = await curl(['--cacert', `${dir}/a.example.pem`, '--resolve', `b.example:${port}:${LB_IP}`, `https://b.example:${port}/id`]);
  assert.notEqual(wrong.code, 0, 'b.example is not served with a.example\'s certificate');
  await assert.rejects(aws(['acm', 'delete-certificate', '--certificate-arn', certArns['a.example']!]), /ResourceInUse/);

  // Rotation: a.example re-imported under its ARN reaches HAProxy through the runtime API (no reload);
  // a TLS keep-alive connection opened before keeps working, new connections get the new certificate.
  const tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 1 });
  hooks.after(() => tlsAgent.destroy());
  const tlsGet = (agent: https.Agent | false, ca: string) =>
    new Promise<{ socket: unknown; fingerprint: string; body: string }>((resolve, reject) => {
      https.get({ host: LB_IP, port, path: '/id', servername: 'a.example', headers: { host: 'a.example' }, ca: readFileSync(ca), agent }, (res) => {
        // Read before the end: then the socket goes back to the agent.
        const socket = res.socket as tls.TLSSocket;
        const fingerprint = socket.getPeerCertificate().fingerprint256;
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ socket, fingerprint, body }));
      }).on('error', reject);
    });
  const before = await tlsGet(tlsAgent, `${dir}/a.example.pem`);
  const reloads = await haproxyReloads();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${dir}/a2.key`, '-out', `${dir}/a2.pem`, '-days', '2', '-subj', '/CN=a.example', '-addext', 'subjectAltName=DNS:a.example'], { stdio: 'ignore' });
  await aws(['acm', 'import-certificate', '--certificate-arn', certArns['a.example']!, '--certificate', `fileb://${dir}/a2.pem`, '--private-key', `fileb://${dir}/a2.key`]);
  const rotated = await waitFor(async () => {
    const r = await tlsGet(false, `${dir}/a2.pem`).catch(() => undefined);
    return r && r.fingerprint !== before.fingerprint ? r : undefined;
  }, { description: 'new connections get the re-imported certificate', timeoutMs: 30_000, intervalMs: 250 });
  assert.match(rotated.body, /^web/);
  const same = await tlsGet(tlsAgent, `${dir}/a.example.pem`);
  assert.equal(same.socket, before.socket, 'the TLS keep-alive connection from before the rotation is still open');
  assert.deepEqual([same.fingerprint, /^web/.test(same.body)], [before.fingerprint, true], 'and still serves, on the certificate it began with');
  assert.equal(await haproxyReloads(), reloads, 'the certificate was rotated without a reload');
  // The next test trusts a.example.pem: from now on that is the rotated certificate.
  copyFileSync(`${dir}/a2.pem`, `${dir}/a.example.pem`);
});

test('every ALB action and condition on real HAProxy: 90/10 weighted forward over 1,000 requests, header and method conditions, fixed-response, HTTP to HTTPS redirect', async () => {
  assert.ok(certDir, 'runs after the HTTPS test (its listener and certificates)');
  const alb = (await aws(['elbv2', 'describe-load-balancers', '--names', `${c.name}-alb`.slice(-32).replace(/^-+/, '')])).LoadBalancers[0].LoadBalancerArn;
  const port = HTTP_PORT + 3;
  const listener = (
    await aws(['elbv2', 'create-listener', '--load-balancer-arn', alb, '--protocol', 'HTTP', '--port', String(port),
      '--default-actions', JSON.stringify([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'no route here' } }])])
  ).Listeners[0].ListenerArn;
  const rule = (priority: number, conditions: unknown, actions: unknown) =>
    aws(['elbv2', 'create-rule', '--listener-arn', listener, '--priority', String(priority), '--conditions', JSON.stringify(conditions), '--actions', JSON.stringify(actions)]);
  await rule(1, [{ Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Canary', Values: ['y*s'] } }], [{ Type: 'forward', TargetGroupArn: tg['api'] }]);
  await rule(2, [{ Field: 'http-request-method', HttpRequestMethodConfig: { Values: ['DELETE'] } }], [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '405', ContentType: 'application/json', MessageBody: '{"error": "no deletes"}' } }]);
  await rule(3, [{ Field: 'host-header', HostHeaderConfig: { Values: ['a.example'] } }], [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: String(HTTPS_PORT), StatusCode: 'HTTP_301' } }]);
  await rule(4, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/id'] } }], [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg['web'], Weight: 90 }, { TargetGroupArn: tg['api'], Weight: 10 }] } }]);
  const req = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
      const r = http.request({ host: LB_IP, port, path, method, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim(), headers: res.headers }));
      });
      r.setTimeout(10_000, () => r.destroy(new Error('timeout')));
      r.on('error', reject);
      r.end();
    });
  // Rules reach the load balancer host asynchronously: wait for the last one (the weighted /id forward).
  await waitFor(async () => (await req('GET', '/id').catch(() => undefined))?.status === 200, { description: 'the new listener serving its last rule', timeoutMs: 30_000, intervalMs: 250 });
  const notFound = await req('GET', '/nothing');
  assert.equal(notFound.body, 'no route here', 'fixed-response default action');
  const deleted = await req('DELETE', '/id');
  assert.deepEqual([deleted.status, deleted.headers['content-type'], deleted.body], [405, 'application/json', '{"error": "no deletes"}'], 'method condition, fixed-response');
  for (let i = 0; i < 5; i++) assert.match((await req('GET', '/id', { 'x-canary': 'YES' })).body, /^api /, 'header condition (values case-insensitive, wildcard)');
  const moved = await req('GET', '/id?x=1', { host: 'a.example' });
  assert.equal(moved.status, 301);
  assert.equal(moved.headers.location, `https://a.example:${HTTPS_PORT}/id?x=1`, 'redirect to HTTPS keeps host, path and query');
  const followed = await curl(['-L', '--cacert', `${certDir}/a.example.pem`, '--resolve', `a.example:${port}:${LB_IP}`, '--resolve', `a.example:${HTTPS_PORT}:${LB_IP}`, `http://a.example:${port}/id`]);
  assert.equal(followed.code, 0, followed.err);
  assert.match(followed.out, /^web/, 'the redirect lands on the HTTPS listener');

  // 1,000 requests over keep-alive connections, 10 at a time.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const counts = { web: 0, api: 0, other: 0 };
  let next = 0;
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      http.get({ host: LB_IP, port, path: '/id', agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          if (body.startsWith('api ')) counts.api++;
          else if (body.startsWith('web')) counts.web++;
          else counts.other++;
          resolve();
        });
      }).on('error', reject);
    });
  await Promise.all(Array.from({ length: 10 }, async () => {
    while (next++ < 1000) await one();
  }));
  agent.destroy();
  assert.equal(counts.web + counts.api, 1000, JSON.stringify(counts));
  // Binomial(1000, 0.1): mean 100, standard deviation 9.5; 60-140 is beyond 4 deviations.
  assert.ok(counts.api >= 60 && counts.api <= 140, `about 10% to the api group: ${JSON.stringify(counts)}`);

  // Target group stickiness (ALB's AWSALBTG cookie), set with modify-rule: a client stays on the group it first hit.
  const weightedRule = (await aws(['elbv2', 'describe-rules', '--listener-arn', listener])).Rules.find((r: any) => r.Priority === '4').RuleArn;
  const sticky = { TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 600 } };
  const modified = await aws(['elbv2', 'modify-rule', '--rule-arn', weightedRule, '--actions', JSON.stringify([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg['web'], Weight: 50 }, { TargetGroupArn: tg['api'], Weight: 50 }], ...sticky } }])]);
  assert.deepEqual(modified.Rules[0].Actions[0].ForwardConfig.TargetGroupStickinessConfig, sticky.TargetGroupStickinessConfig);
  const apiCookie = await waitFor(async () => {
    const r = await req('GET', '/id');
    const v = /AWSALBTG=([0-9a-f]+); Max-Age=600/.exec(String(r.headers['set-cookie'] ?? ''))?.[1];
    return v && r.body.startsWith('api ') ? v : undefined;
  }, { description: 'a response from the api group setting AWSALBTG', timeoutMs: 30_000, intervalMs: 50 });
  for (let i = 0; i < 20; i++) assert.match((await req('GET', '/id', { cookie: `AWSALBTG=${apiCookie}` })).body, /^api /, 'the AWSALBTG cookie keeps the client on the api group');
});
