/**
 * `npm run bench:api-auth`: API throughput with SigV4 verification on and off
 * (--insecure-disable-auth), for DescribeTasks of 100 tasks and for RunTask
 * (count 1) against a cluster with one simulated agent (real gRPC, no Docker).
 * Both control planes run in this process; the load comes from a worker
 * thread that signs every request in both cases, as real clients do, so the
 * ratio is what verification (signature, replay cache, key lookup, token
 * bucket, policy check) costs the server. The rate limit of the signed
 * control plane is raised out of the way; its token bucket still runs.
 * Prints figures; asserts nothing. Goal: ratio >= 0.8.
 *
 *   npm run bench:api-auth
 *   BENCH_SECONDS=5 BENCH_CONCURRENCY=16 npm run bench:api-auth
 */
import * as http from 'node:http';
import * as os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { startTestControlPlane, FakeAgent, eventually } from '@stevedore/control-plane/dist/testing/harness';
import { requestHeaders } from '@stevedore/control-plane/dist/testing/signed-client';
import { verifySigV4, type ReceivedRequest } from '@stevedore/control-plane/dist/api/auth/sigv4';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 4);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 16);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const ECS = 'AmazonEC2ContainerServiceV20141113';

interface Load {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  target: string;
  body: string;
  concurrency: number;
  ms: number;
}

interface LoadResult {
  requests: number;
  byStatus: Record<string, number>;
  p50: number;
  p99: number;
}

/** The worker: closed-loop clients, each signing and sending one request at a time. */
async function generate(load: Load): Promise<LoadResult> {
  const url = new URL(load.endpoint);
  const agent = new http.Agent({ keepAlive: true, maxSockets: load.concurrency });
  const signer = new SignatureV4({ credentials: load.credentials, region: 'us-east-1', service: 'ecs', sha256: Hash.bind(null, 'sha256') });
  const body = Buffer.from(load.body);
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const deadline = performance.now() + load.ms;
  let n = 0;
  const one = async () => {
    const headers = { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': load.target, 'amz-sdk-invocation-id': `${process.pid}-${++n}-${Math.random()}`, host: url.host };
    const signed = await signer.sign({ method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', query: {}, headers, body });
    const t0 = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: url.hostname, port: url.port, path: '/', method: 'POST', agent, headers: { ...signed.headers, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    latencies.push(performance.now() - t0);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  };
  await Promise.all(
    Array.from({ length: load.concurrency }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { requests: latencies.length, byStatus, p50: pct(0.5), p99: pct(0.99) };
}

function inWorker(load: Load): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: load });
    w.once('message', resolve);
    w.once('error', reject);
  });
}

async function cluster(auth: boolean) {
  const h = await startTestControlPlane({
    auth: auth ? { apiRateLimit: { steady: 1e9, burst: 1e9 } } : { insecureDisableAuth: true },
    heartbeatPeriodMs: 600_000,
    orchestrator: { startupDelayMs: 3_600_000 },
  });
  await h.call('CreateCluster', { clusterName: 'bench' });
  const td = await h.call('RegisterTaskDefinition', { family: 'bench', containerDefinitions: [{ name: 'app', image: 'busybox', cpu: 1, memory: 8 }] });
  if (td.status !== 200) throw new Error(`RegisterTaskDefinition failed: ${JSON.stringify(td.body)}`);
  const agent = new FakeAgent(h.agentAddress);
  await agent.register({ cluster: 'bench', resources: { cpu: 10_000_000, memory: 100_000_000, ports: [], ports_udp: [] } });
  agent.openSession();
  await eventually(() => agent.messages.length > 0, 'COMPLETE message');
  const arns: string[] = [];
  while (arns.length < 100) {
    const r = await h.call('RunTask', { cluster: 'bench', taskDefinition: 'bench', count: 10 });
    if (r.status !== 200 || r.body['tasks'].length !== 10) throw new Error(`RunTask failed: ${JSON.stringify(r.body)}`);
    arns.push(...r.body['tasks'].map((t: { taskArn: string }) => t.taskArn));
  }
  // Unsigned clients are what the disabled control plane sees; the worker signs anyway.
  const credentials = h.admin ?? { accessKeyId: 'AKIAUNUSEDUNUSEDUNUS', secretAccessKey: 'unused' };
  return { h, agent, arns, credentials };
}

/** The signature check alone, without HTTP or the action: microseconds per DescribeTasks-sized request. */
async function verificationMicros(body: string): Promise<number> {
  const key = { accessKeyId: 'AKIABENCHBENCHBENCH2', secretAccessKey: 'b'.repeat(40) };
  const reqs: ReceivedRequest[] = [];
  for (let i = 0; i < 2000; i++) {
    const h = await requestHeaders('http://127.0.0.1:8080', { target: `${ECS}.DescribeTasks`, body, credentials: key });
    const headers: Record<string, string[]> = { host: ['127.0.0.1:8080'] };
    for (const [k, v] of Object.entries(h)) headers[k] = [v];
    reqs.push({ method: 'POST', url: '/', headers, body: Buffer.from(body) });
  }
  const t0 = performance.now();
  for (const r of reqs) await verifySigV4(r, { nowMs: Date.now(), region: 'us-east-1', services: ['ecs'], secretFor: () => key.secretAccessKey });
  return ((performance.now() - t0) / reqs.length) * 1000;
}

async function main(): Promise<void> {
  const on = await cluster(true);
  const off = await cluster(false);
  const ops = [
    { name: 'DescribeTasks (100 tasks)', target: `${ECS}.DescribeTasks`, body: (c: typeof on) => JSON.stringify({ cluster: 'bench', tasks: c.arns }) },
    { name: 'RunTask (count 1)', target: `${ECS}.RunTask`, body: () => JSON.stringify({ cluster: 'bench', taskDefinition: 'bench', count: 1 }) },
  ];
  const rows: string[] = [];
  const summary: Record<string, unknown> = {};
  for (const op of ops) {
    const rates: Record<'on' | 'off', number[]> = { on: [], off: [] };
    const lat: Record<'on' | 'off', string> = { on: '', off: '' };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [mode, c] of [['off', off], ['on', on]] as const) {
        const r = await inWorker({ endpoint: c.h.endpoint, credentials: c.credentials, target: op.target, body: op.body(c), concurrency: CONCURRENCY, ms: SECONDS * 1000 });
        const ok = r.byStatus['200'] ?? 0;
        if (ok !== r.requests) throw new Error(`${op.name} auth ${mode}: non-200 replies ${JSON.stringify(r.byStatus)}`);
        rates[mode].push(ok / SECONDS);
        lat[mode] = `p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`;
      }
    }
    // Runs are paired (off then on, same round, same amount of stored state: RunTask adds tasks
    // as it goes); the median of the paired ratios is robust to a noisy neighbour in one run.
    const paired = rates.on.map((r, i) => r / rates.off[i]!).sort((a, b) => a - b);
    const ratio = paired[Math.floor(paired.length / 2)]!;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    rows.push(`| ${op.name} | ${median(rates.off).toFixed(0)} req/s (${lat.off}) | ${median(rates.on).toFixed(0)} req/s (${lat.on}) | ${ratio.toFixed(2)} (runs: ${paired.map((x) => x.toFixed(2)).join(', ')}) |`);
    summary[op.name] = { offReqPerSec: rates.off, onReqPerSec: rates.on, ratio: Number(ratio.toFixed(3)) };
  }
  const micros = await verificationMicros(JSON.stringify({ cluster: 'bench', tasks: on.arns }));
  summary['verificationMicrosPerRequest'] = Number(micros.toFixed(1));
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  process.stdout.write(
    [
      `API authentication benchmark, ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
      `${CONCURRENCY} concurrent keep-alive clients in a worker thread, ${SECONDS} s per run, ${ROUNDS} paired runs (auth off, then on); medians`,
      '',
      '| operation | auth off | auth on (SigV4) | ratio on/off (median of paired runs) |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
      `SigV4 verification alone (DescribeTasks of 100 tasks, ${Buffer.byteLength(JSON.stringify({ cluster: 'bench', tasks: on.arns }))} bytes): ${micros.toFixed(0)} µs per request`,
      `load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')}`,
      '',
      JSON.stringify(summary),
      '',
    ].join('\n'),
  );
  for (const c of [on, off]) {
    c.agent.close();
    await c.h.cp.stop();
  }
}

if (isMainThread) {
  main().catch((e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
} else {
  generate(workerData as Load).then((r) => parentPort!.postMessage(r));
}
