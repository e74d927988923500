import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { dispatcherClientCtor, METADATA_INSTANCE_ID } from '@stevedore/proto';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { waitFor } from '../helpers/wait-for';

// A compromised agent stays contained, on real processes: what an attacker
// holding one host's agent key can send is validated and bound to that
// host's identity; operator attributes outrank the agent; Join is cheap to
// refuse; HAProxy's workers run unprivileged in a chroot.

const AGENT_IP = '127.0.3.2';
const LB_HOST_IP = '127.0.3.3';
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
/** Agent 0's --attribute stack=..., changed between its restarts. */
let stack = 'blue';
let extra: Record<string, string> = {};

type Client = grpc.Client & Record<string, Function>;

before(async () => {
  c = await startCluster({
    agents: 3,
    test: hooks,
    startAgents: false,
    readyTimeoutMs: 60_000,
    hostIp: (i) => [AGENT_IP, LB_HOST_IP, 'not-an-ip'][i]!,
    attributes: (i): Record<string, string> => (i === 0 ? { stack, ...extra } : i === 1 ? { role: 'lb' } : {}),
  });
  await c.startAgent(0);
  await c.startAgent(1);
  await c.waitForAgents([0, 1]);
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

const cpLog = () => readFileSync(c.logs.controlPlane, 'utf8');
const pki = (i: number, f: string) => readFileSync(path.join(c.dataDir, `agent-${i}`, 'pki', f));

/** A client holding agent i's own key and certificate: what an attacker on that host has. */
function stolenClient(i: number): Client {
  return new (dispatcherClientCtor())(c.agentEndpoint, grpc.credentials.createSsl(pki(i, 'ca.crt'), pki(i, 'agent.key'), pki(i, 'agent.crt'))) as Client;
}

function unary<T>(client: Client, method: string, req: unknown, md = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => client[method]!(req, md, { deadline: Date.now() + 10_000 }, (e: unknown, r: T) => (e ? reject(e) : resolve(r))));
}

const code = (c: grpc.status, re: RegExp) => (e: grpc.ServiceError) => e.code === c && re.test(e.details);

test("an agent's stolen credentials cannot store an invalid report or speak for another instance", async () => {
  const victim = await c.instanceOf(1);
  const mine = await c.instanceOf(0);
  const id = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
  const client = stolenClient(0);
  const register = (over: Record<string, unknown>) =>
    unary(client, 'Register', {
      cluster: c.name,
      instance_id: id(mine.containerInstanceArn),
      ec2_instance_id: 'attacker',
      host_ip: AGENT_IP,
      resources: { cpu: 1024, memory: 1024, ports: [], ports_udp: [] },
      attributes: [],
      agent_version: 'x',
      docker_version: 'x',
      ...over,
    });
  await assert.rejects(register({ host_ip: 'not-an-ip' }), code(grpc.status.INVALID_ARGUMENT, /^host_ip: /));
  await assert.rejects(register({ host_ip: `${AGENT_IP}:80\n  bind 0.0.0.0:22` }), code(grpc.status.INVALID_ARGUMENT, /^host_ip: /));
  await assert.rejects(register({ resources: { cpu: 2_000_000_000, memory: 1024, ports: [], ports_udp: [] } }), code(grpc.status.INVALID_ARGUMENT, /^resources\.cpu: /));
  await assert.rejects(register({ resources: { cpu: 1024, memory: -1, ports: [], ports_udp: [] } }), code(grpc.status.INVALID_ARGUMENT, /^resources\.memory: /));
  await assert.rejects(register({ attributes: [{ name: 'role', value: "lb'\n" }] }), code(grpc.status.INVALID_ARGUMENT, /^attributes\[0\]\.value: /));
  // A reported host port becomes a load balancer target: it must be a port.
  const binding = { bind_ip: AGENT_IP, container_port: 8080, host_port: 99_999, protocol: 'tcp' };
  const update = { task_arn: 'arn:aws:ecs:us-east-1:000000000000:task/x/y', last_status: 'RUNNING', containers: [{ name: 'web', status: 'RUNNING', runtime_id: '', exit_code: null, reason: '', network_bindings: [binding], health_status: 'HEALTHY' }], stop_code: '', stopped_reason: '', pull_started_at: 0, pull_stopped_at: 0, started_at: 0, execution_stopped_at: 0, stopped_at: 0 };
  await assert.rejects(unary(client, 'UpdateTaskStatus', { session_id: '', updates: [update] }), code(grpc.status.INVALID_ARGUMENT, /^updates\[0\]\.containers\[0\]\.network_bindings\[0\]\.host_port: /));
  // Another instance's identity: by request field, or by metadata on any rpc.
  await assert.rejects(register({ instance_id: id(victim.containerInstanceArn), host_ip: '10.6.6.6' }), code(grpc.status.PERMISSION_DENIED, /certificate is for instance/));
  const claim = new grpc.Metadata();
  claim.set(METADATA_INSTANCE_ID, id(victim.containerInstanceArn));
  await assert.rejects(unary(client, 'UpdateTaskStatus', { session_id: '', updates: [] }, claim), code(grpc.status.PERMISSION_DENIED, /certificate is for instance/));
  await assert.rejects(unary(client, 'UpdateTargetHealth', { session_id: '', targets: [], load_balancers: [] }, claim), code(grpc.status.PERMISSION_DENIED, /certificate is for instance/));
  client.close();

  // Nothing changed: both instances are as their real agents registered them.
  const [after0, after1] = [await c.instanceOf(0), await c.instanceOf(1)];
  assert.equal(after0.ec2InstanceId, mine.ec2InstanceId);
  assert.deepEqual(after0.registeredResources, mine.registeredResources);
  assert.equal(after1.ec2InstanceId, victim.ec2InstanceId);
  const refused = cpLog().split('\n').filter((l) => l.includes('"msg":"registration refused"'));
  assert.ok(refused.some((l) => l.includes('"field":"host_ip"')), 'the refusal is logged with its field');
  assert.ok(refused.some((l) => l.includes('"field":"resources.cpu"')));
});

test('an agent started with --host-ip not-an-ip never registers', async () => {
  await c.startAgent(2);
  await waitFor(() => !c.isAgentRunning(2) || undefined, { description: 'agent 2 exits', timeoutMs: 30_000, intervalMs: 100 });
  assert.match(readFileSync(c.logs.agents[2]!, 'utf8'), /--host-ip: "not-an-ip" is not an IP address/);
  assert.equal((await c.instances()).length, 2);
});

test('an operator attribute survives an agent restart with a conflicting --attribute; the agent cannot delete it', async () => {
  const arn = await c.instanceArnOf(0);
  await c.call('PutAttributes', { attributes: [{ name: 'stack', value: 'prod', targetId: arn }, { name: 'tier', value: 'gold', targetId: arn }] });
  stack = 'evil';
  extra = { restarted: 'yes' };
  await c.stopAgent(0);
  await c.startAgent(0);
  const attrs = await waitFor(
    async () => {
      const inst = await c.instanceOf(0);
      const byName = new Map<string, string | undefined>((inst?.attributes ?? []).map((a: { name: string; value?: string }) => [a.name, a.value]));
      return inst?.agentConnected && byName.get('restarted') === 'yes' ? byName : undefined;
    },
    { description: 'agent 0 registered again with its new --attribute flags', timeoutMs: 30_000, intervalMs: 200 },
  );
  assert.equal(attrs.get('stack'), 'prod', 'PutAttributes wins over --attribute stack=evil');
  assert.equal(attrs.get('tier'), 'gold', 'the agent does not report tier, and cannot delete it');
  const listed = await c.call('ListAttributes', { targetType: 'container-instance', attributeName: 'stack' });
  assert.deepEqual(
    listed.attributes.filter((a: { targetId: string }) => a.targetId === arn).map((a: { value: string }) => a.value),
    ['prod'],
  );
});

/** Parent pid of a process, from /proc/<pid>/stat (the field after the parenthesised name). */
function ppid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, host, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

test('HAProxy on a load balancer host: the master stays root, its workers run as user haproxy chrooted in /var/lib/haproxy', async () => {
  const name = (s: string) => `${c.name}-${s}`.slice(-32).replace(/^-+/, '');
  const tg = (await c.callStevedore('CreateTargetGroup', { Name: name('tg'), Protocol: 'HTTP', Port: 8080 })).TargetGroups[0].TargetGroupArn;
  const lb = (await c.callStevedore('CreateLoadBalancer', { Name: name('lb'), Type: 'application', Cluster: c.name, Placement: { Expression: 'attribute:role == lb' } })).LoadBalancers[0].LoadBalancerArn;
  await c.callStevedore('CreateListener', { LoadBalancerArn: lb, Protocol: 'HTTP', Port: await freePort(LB_HOST_IP), DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] });
  await waitFor(async () => (await c.callStevedore('DescribeLoadBalancers', { LoadBalancerArns: [lb] })).LoadBalancers[0].State.Code === 'active' || undefined, {
    description: 'the load balancer active on agent 1',
    timeoutMs: 60_000,
    intervalMs: 250,
  });
  const master = Number(readFileSync(path.join(c.dataDir, 'agent-1', 'loadbalancer', 'haproxy.pid'), 'utf8').trim());
  const status = (pid: number, key: string) => new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!.split(/\s+/).map(Number);
  const passwd = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('haproxy:'))!.split(':');
  // A reload (targets or listeners changing) replaces the worker: one that exits between the
  // listing and the reads is skipped, and the sample is taken again until a live worker was read.
  const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH';
  let checked = 0;
  for (let attempt = 0; attempt < 20 && checked === 0; attempt++) {
    const workers = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => ppid(p) === master);
    for (const w of workers) {
      let uid: number[], gid: number[], root: string;
      try {
        uid = status(w, 'Uid');
        gid = status(w, 'Gid');
        root = readlinkSync(`/proc/${w}/root`);
      } catch (e) {
        if (gone(e)) continue;
        throw e;
      }
      assert.deepEqual(uid, Array(4).fill(Number(passwd[2])), `worker ${w} runs as haproxy (real, effective, saved, fs)`);
      assert.deepEqual(gid, Array(4).fill(Number(passwd[3])), `worker ${w} group`);
      assert.equal(root, '/var/lib/haproxy', `worker ${w} is chrooted`);
      checked++;
    }
  }
  assert.ok(checked >= 1, 'the master has a live worker');
  assert.equal(status(master, 'Uid')[1], 0, 'the master stays root (binds, reloads)');
  assert.equal(readlinkSync(`/proc/${master}/root`), '/');
});

test('join: oversized and malformed requests are refused before any CSR parsing, the address is rate-limited, refusal logs are capped; tokens are one-use by default', async () => {
  const created = JSON.parse((await c.cli(['--output', 'json', 'cluster', 'join-token', 'create'])).stdout);
  assert.equal(created.joinToken.maxUses, 1, 'stevedore cluster join-token create defaults to --uses 1');
  const client = new (dispatcherClientCtor())(c.agentEndpoint, grpc.credentials.createSsl(pki(0, 'ca.crt'))) as Client;
  const join = (req: unknown) => new Promise((resolve, reject) => client['Join']!(req, { deadline: Date.now() + 10_000 }, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
  const garbageCsr = '-----BEGIN CERTIFICATE REQUEST-----\nnot base64 at all\n-----END CERTIFICATE REQUEST-----\n';
  await assert.rejects(join({ token: created.token, cluster: c.name, csr_pem: garbageCsr + 'A'.repeat(100_000) }), code(grpc.status.INVALID_ARGUMENT, /too large/));
  await assert.rejects(join({ token: 'SVDR-1234.short', cluster: c.name, csr_pem: garbageCsr }), code(grpc.status.UNAUTHENTICATED, /^invalid join token$/));
  // A real token's shape and a garbage CSR: the token is checked first, so the CSR is never parsed.
  await assert.rejects(join({ token: `${created.token.split('.')[0]}.${'z'.repeat(43)}`, cluster: c.name, csr_pem: garbageCsr }), code(grpc.status.UNAUTHENTICATED, /^invalid join token$/));
  const tokens = await c.callStevedore('ListJoinTokens', {});
  assert.equal(tokens.joinTokens.find((t: { joinTokenId: string }) => t.joinTokenId === created.joinToken.joinTokenId).uses, 0, 'no refused join used the token');

  // A flood from one address: after the burst every attempt is refused without work, and the log stays short.
  const codes: number[] = [];
  for (let i = 0; i < 60; i++) codes.push(await join({ token: 'x', cluster: c.name, csr_pem: garbageCsr }).then(() => 0, (e: grpc.ServiceError) => e.code));
  assert.ok(codes.filter((x) => x === grpc.status.RESOURCE_EXHAUSTED).length >= 30, `rate-limited: ${codes.join(',')}`);
  client.close();
  const refusals = cpLog().split('\n').filter((l) => l.includes('"msg":"join refused"'));
  assert.ok(refusals.length <= 25, `refusal logs are rate-limited (${refusals.length} lines for 63 refusals)`);
});
