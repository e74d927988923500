/**
 * `npm run bench:lb`: requests/s and latency through the load balancer
 * (HAProxy on an lb host) next to the same load sent straight to the
 * target's dynamic host port, with the same tool (wrk) and settings; and the
 * time from a task turning RUNNING to its first request through the load
 * balancer, with a 1 s health check (healthy threshold 2). Loopback only.
 * Prints figures; asserts nothing.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { docker, listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

const LB_IP = '127.0.0.80';
const PORT = 18180;
const DURATION_S = Number(process.env['BENCH_LB_SECONDS'] ?? 10);
// busybox httpd forks per connection: beyond about 8 concurrent connections its listen queue overflows (SYN retries, 1 s p99) on 2 cores.
const CONNECTIONS = Number(process.env['BENCH_LB_CONNECTIONS'] ?? 8);
const ROUNDS = Number(process.env['BENCH_LB_ROUNDS'] ?? 5);

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

function ensureWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (e) {
    // wrk prints its usage and exits 1 on --version: only ENOENT means missing.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return;
    if (process.getuid?.() !== 0) throw new Error('wrk is not installed: apt-get install wrk');
    execFileSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

function ms(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** Asynchronous on purpose: a blocked event loop would leave the API client's idle keep-alive sockets half-closed. */
async function wrk(url: string, extra: string[] = []): Promise<WrkResult> {
  const { stdout: out } = await promisify(execFile)('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${DURATION_S}s`, '--latency', ...extra, url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const p99 = ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? '');
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50Ms: p50, p99Ms: p99, errors };
}

function get(path: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: LB_IP, port: PORT, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve(res.statusCode === 200 ? body.trim() : undefined));
    });
    req.setTimeout(2000, () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

async function serviceTasks(c: TestCluster): Promise<any[]> {
  const arns: string[] = (await c.call('ListTasks', { serviceName: 'bench' })).taskArns;
  return arns.length ? (await c.call('DescribeTasks', { tasks: arns })).tasks : [];
}

async function hostnameOf(taskArn: string): Promise<string> {
  const [ctr] = await listContainers({ 'stevedore.task': taskArn });
  return (await docker(['inspect', '--format', '{{.Config.Hostname}}', ctr!.id])).stdout.trim();
}

async function healthy(c: TestCluster, tg: string, n: number): Promise<any[]> {
  return waitFor(
    async () => {
      const d = (await c.callStevedore('DescribeTargetHealth', { TargetGroupArn: tg })).TargetHealthDescriptions as any[];
      return d.length === n && d.every((x) => x.TargetHealth.State === 'healthy') ? d : undefined;
    },
    { description: `${n} healthy targets`, timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** RUNNING (the agent's startedAt) to the first response from the new task through the load balancer. */
async function timeToTraffic(c: TestCluster, tg: string): Promise<number> {
  const before = new Set((await serviceTasks(c)).map((t) => t.taskArn as string));
  const firstSeen = new Map<string, number>();
  let stop = false;
  const probe = (async () => {
    while (!stop) {
      const body = await get('/id');
      if (body && !firstSeen.has(body)) firstSeen.set(body, Date.now());
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  await c.call('UpdateService', { service: 'bench', desiredCount: 2 });
  const fresh = await waitFor(
    async () => (await serviceTasks(c)).find((t) => !before.has(t.taskArn) && t.lastStatus === 'RUNNING' && t.startedAt),
    { description: 'the new task RUNNING', timeoutMs: 60_000, intervalMs: 50 },
  );
  const host = await hostnameOf(fresh.taskArn);
  await waitFor(() => firstSeen.has(host) || undefined, { description: 'traffic reaching the new task', timeoutMs: 30_000, intervalMs: 20 });
  stop = true;
  await probe;
  const ms = firstSeen.get(host)! - Math.round(fresh.startedAt * 1000);
  await healthy(c, tg, 2);
  await c.call('UpdateService', { service: 'bench', desiredCount: 1 });
  await healthy(c, tg, 1);
  await waitFor(async () => (await serviceTasks(c)).length === 1 || undefined, { description: 'back to one task', timeoutMs: 60_000, intervalMs: 100 });
  return ms;
}

async function main(): Promise<void> {
  ensureWrk();
  const hooks: (() => unknown)[] = [];
  const c = await startCluster({
    agents: 2,
    test: { after: (fn) => hooks.push(fn) },
    readyTimeoutMs: 60_000,
    hostIp: (i) => `127.0.0.${80 + i}`,
    attributes: (i) => ({ role: i === 0 ? 'lb' : 'web' }),
    env: { STEVEDORE_LOG_LEVEL: 'info' },
  });
  try {
    await c.call('RegisterTaskDefinition', {
      family: 'bench-lb',
      containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['sh', '-c', 'cat /etc/hostname > /www/id; exec httpd -f -p 8080 -h /www'], memory: 32, portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
    });
    const tg = (await c.callStevedore('CreateTargetGroup', { Name: `bench-${process.pid}`, Protocol: 'HTTP', Port: 8080, HealthCheckPath: '/id', HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 })).TargetGroups[0].TargetGroupArn as string;
    await c.callStevedore('ModifyTargetGroupAttributes', { TargetGroupArn: tg, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '0' }] });
    const lb = (await c.callStevedore('CreateLoadBalancer', { Name: `bench-${process.pid}`, Cluster: c.name, Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
    await c.callStevedore('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: PORT, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] });
    // The same target behind an HTTPS listener of the same HAProxy: a self-signed EC P-256 certificate, ELB's default policy (TLS 1.2-1.3).
    const certDir = mkdtempSync(path.join(os.tmpdir(), 'sv-bench-cert-'));
    hooks.push(() => rmSync(certDir, { recursive: true, force: true }));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${certDir}/k`, '-out', `${certDir}/c`, '-days', '2', '-subj', '/CN=bench.example'], { stdio: 'ignore' });
    const cert = await c.call('ImportCertificate', { Certificate: readFileSync(`${certDir}/c`).toString('base64'), PrivateKey: readFileSync(`${certDir}/k`).toString('base64') }, 'CertificateManager');
    await c.callStevedore('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTPS', Port: PORT + 1, Certificates: [{ CertificateArn: cert.CertificateArn }], DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] });
    await c.call('CreateService', {
      serviceName: 'bench',
      taskDefinition: 'bench-lb',
      desiredCount: 1,
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:role == web' }],
      loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }],
    });
    const [target] = await healthy(c, tg, 1);
    // The target's dynamic host port on the web host (agent 1), as HAProxy reaches it.
    const direct = `http://127.0.0.81:${target.Target.Port}/id`;
    const viaLb = `http://${LB_IP}:${PORT}/id`;

    await wrk(direct); // warm-up: first connections, page cache
    const d = await wrk(direct);
    const l = await wrk(viaLb);
    const d2 = await wrk(direct);
    const l2 = await wrk(viaLb);
    const best = (a: WrkResult, b: WrkResult) => (a.rps >= b.rps ? a : b);
    const bd = best(d, d2);
    const bl = best(l, l2);
    // HTTPS vs HTTP through the same HAProxy: keep-alive (TLS set up once per connection), and a new connection per request (a full handshake each).
    const viaTls = `https://${LB_IP}:${PORT + 1}/id`;
    const close = ['-H', 'Connection: close'];
    const tls = best(await wrk(viaTls), await wrk(viaTls));
    const httpClose = best(await wrk(viaLb, close), await wrk(viaLb, close));
    const tlsClose = best(await wrk(viaTls, close), await wrk(viaTls, close));

    const ttt: number[] = [];
    for (let i = 0; i < ROUNDS; i++) ttt.push(await timeToTraffic(c, tg));
    const sorted = [...ttt].sort((a, b) => a - b);

    const cpu = os.cpus();
    const f = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : String(n));
    process.stdout.write(`\nLoad balancer benchmark (${new Date().toISOString().slice(0, 10)})\n`);
    process.stdout.write(`machine: ${cpu.length} x ${cpu[0]?.model ?? '?'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}\n`);
    process.stdout.write(`wrk -t2 -c${CONNECTIONS} -d${DURATION_S}s (best of 2 runs each)\n`);
    process.stdout.write(`| path | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|\n`);
    process.stdout.write(`| direct to the target (docker-proxy) | ${bd.rps.toFixed(0)} | ${f(bd.p50Ms)} ms | ${f(bd.p99Ms)} ms | ${bd.errors} |\n`);
    process.stdout.write(`| through the load balancer (HAProxy) | ${bl.rps.toFixed(0)} | ${f(bl.p50Ms)} ms | ${f(bl.p99Ms)} ms | ${bl.errors} |\n`);
    process.stdout.write(`| HTTPS through the same HAProxy, keep-alive | ${tls.rps.toFixed(0)} | ${f(tls.p50Ms)} ms | ${f(tls.p99Ms)} ms | ${tls.errors} |\n`);
    process.stdout.write(`| HTTP, a new connection per request | ${httpClose.rps.toFixed(0)} | ${f(httpClose.p50Ms)} ms | ${f(httpClose.p99Ms)} ms | ${httpClose.errors} |\n`);
    process.stdout.write(`| HTTPS, a new connection (TLS handshake) per request | ${tlsClose.rps.toFixed(0)} | ${f(tlsClose.p50Ms)} ms | ${f(tlsClose.p99Ms)} ms | ${tlsClose.errors} |\n`);
    process.stdout.write(`HTTPS / HTTP: keep-alive ${(tls.rps / bl.rps).toFixed(2)}, new connection per request ${(tlsClose.rps / httpClose.rps).toFixed(2)}\n`);
    process.stdout.write(`throughput ratio (LB / direct): ${(bl.rps / bd.rps).toFixed(2)} (goal >= 0.8); runs: direct ${d.rps.toFixed(0)}/${d2.rps.toFixed(0)}, LB ${l.rps.toFixed(0)}/${l2.rps.toFixed(0)}\n`);
    process.stdout.write(`RUNNING -> first request through the LB (1 s checks, healthy threshold 2), ${ROUNDS} rounds: median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms (goal <= 2000 ms); all: ${ttt.join(', ')}\n`);
  } finally {
    for (const fn of hooks) await fn();
    await c.stop();
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
