import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { AGENT_INDEX_ATTRIBUTE, CLI_BIN, CONTROL_PLANE_BIN, freePort, startCluster, type TestCluster } from '../helpers/cluster';
import { call, callRaw, STEVEDORE_TARGET, type Credentials } from '../helpers/api';
import { listContainers, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';
import { startPostgres, type PostgresServer } from '../helpers/postgres';

// A highly available control plane end to end (docs/design/high-availability.md):
// three replicas on one PostgreSQL database, two agents each configured with
// all three (agent 0 first dials the first replica, which leads; agent 1 a
// follower), a rolling deployment, and kill -9 of the leader in the middle of
// it while a client keeps registering task definitions through any replica.
// Replica 1 listens on every interface (0.0.0.0) and advertises its loopback
// address (--api-advertise): the log and exec relays to it go there.

// Shorter than the default 6 s: a new leader within ttl x 1.2 = 6 s, leaving room under a loaded CI machine.
const LEASE_TTL_S = 5;
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let pg: PostgresServer;
let creds: Credentials;
/** API endpoint and agent address of each replica; replica 0 is the harness's own control plane. */
const replicas: { api: string; agent: string; proc?: ChildProcess; log: string; listenArgs?: string[] }[] = [];

const HEALTHY = { command: ['CMD-SHELL', 'wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'], interval: 1, timeout: 2, retries: 2 };
const web = (version: string) => ({
  family: 'ha-web',
  containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['httpd', '-f', '-p', '8080', '-h', '/www'], memory: 24, portMappings: [{ containerPort: 8080 }], healthCheck: HEALTHY, stopTimeout: 5, environment: [{ name: 'VERSION', value: version }] }],
});

function startReplica(i: number, args: string[]): ChildProcess {
  const dataDir = path.join(c.dataDir, `control-plane-${i}`);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // One CA and one master key for the cluster: copied from the first replica, as an operator does.
  cpSync(path.join(c.dataDir, 'control-plane', 'pki'), path.join(dataDir, 'pki'), { recursive: true });
  cpSync(path.join(c.dataDir, 'control-plane', 'keys'), path.join(dataDir, 'keys'), { recursive: true });
  const fd = openSync(replicas[i]!.log, 'a');
  const listen = replicas[i]!.listenArgs ?? ['--api-listen', replicas[i]!.api.replace('http://', '')];
  const child = spawn(process.execPath, [CONTROL_PLANE_BIN, '--data-dir', dataDir, ...listen, '--agent-listen', replicas[i]!.agent, '--admin-credentials-file', path.join(dataDir, 'admin-credentials'), ...args], {
    stdio: ['ignore', fd, fd],
    env: { ...process.env, STEVEDORE_LOG_LEVEL: 'debug' },
  });
  closeSync(fd);
  hooks.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

interface Ready {
  ready: boolean;
  leader: boolean;
  leaderId: string | null;
  epoch: number;
  replicaId: string;
}

async function ready(api: string): Promise<Ready | undefined> {
  try {
    const res = await fetch(`${api}/ready`, { signal: AbortSignal.timeout(5000) });
    return (await res.json()) as Ready;
  } catch {
    return undefined;
  }
}

/** Attempts that failed on one replica and were retried on the next. */
let retriedElsewhere = 0;

/** An API client that, like a client behind a balancer or DNS round robin, tries the next replica when one fails. */
async function anyReplica<T = any>(op: string, body: Record<string, unknown>, start = 0): Promise<T> {
  let last: unknown;
  for (let k = 0; k < replicas.length; k++) {
    const r = replicas[(start + k) % replicas.length]!;
    try {
      return await call<T>(r.api, op, body, undefined, creds);
    } catch (e) {
      const status = (e as { status?: number }).status;
      // A refusal (4xx) is an answer; only transport errors and 5xx move on.
      if (status !== undefined && status < 500) throw e;
      last = e;
      retriedElsewhere++;
    }
  }
  throw last;
}

before(async () => {
  pg = await startPostgres();
  const store = await pg.createDatabase();
  const ports = await Promise.all([1, 2, 3, 4].map(() => freePort()));
  // The write stream below is one client going as fast as it can: the per-key rate limit would throttle it.
  const common = ['--store', store, '--api-rate-limit', '1000,2000', '--leader-lease-ttl', `${LEASE_TTL_S}s`, '--deployment-timeout-seconds', '180', '--healthy-after-running-seconds', '3'];
  // Agent i lists replica i first: agent 0 dials the first replica (the leader), agent 1 a follower.
  const list = (first: number) => [0, 1, 2].map((k) => replicas[(first + k) % 3]!.agent).join(',');
  c = await startCluster({ agents: 2, test: hooks, startAgents: false, readyTimeoutMs: 60_000, controlPlaneArgs: common, agentArgs: (i) => ['--control-plane', list(i)] });
  creds = c.adminCredentials();
  replicas.push({ api: c.endpoint, agent: c.agentEndpoint, log: c.logs.controlPlane });
  for (const i of [1, 2]) replicas.push({ api: `http://127.0.0.1:${ports[2 * i - 2]}`, agent: `127.0.0.1:${ports[2 * i - 1]}`, log: path.join(c.dataDir, `control-plane-${i}.log`) });
  // Every interface, the loopback address advertised to the other replicas (plain HTTP: the tests speak HTTP to every replica).
  replicas[1]!.listenArgs = ['--api-listen', `0.0.0.0:${ports[0]}`, '--api-advertise', `127.0.0.1:${ports[0]}`, '--insecure-http'];
  for (const i of [1, 2]) replicas[i]!.proc = startReplica(i, common);
  for (const r of replicas) await waitFor(() => ready(r.api).then((x) => x?.ready === true || undefined), { description: `replica ${r.api} ready`, timeoutMs: 60_000, intervalMs: 200 });
  await c.startAgent(0);
  await c.startAgent(1);
  await c.waitForAgents([0, 1], 60_000);
});

let failed = false;
after(async () => {
  if (failed) {
    const tail = (f: string) => { try { return readFileSync(f, 'utf8').trimEnd().split('\n').slice(-30).join('\n'); } catch { return '(no log)'; } };
    process.stderr.write(`\n${c.describeLogs(30)}\n${replicas.slice(1).map((r) => `--- replica ${r.api} log: ${r.log}\n${tail(r.log)}`).join('\n')}\n`);
    (hooks as { passed?: boolean }).passed = false;
  }
  for (const fn of hooks.fns.reverse()) await fn();
  await pg?.stop();
});

test('three replicas: one leader that every replica names, followers serve the API, agents on a follower get their tasks', async () => {
  const states = await Promise.all(replicas.map((r) => ready(r.api)));
  assert.deepEqual(states.map((s) => s?.leader), [true, false, false]);
  const leaderId = states[0]!.replicaId;
  for (const s of states) assert.equal(s?.leaderId, leaderId);
  // A write through one follower is read through the other.
  const td = await call(replicas[1]!.api, 'RegisterTaskDefinition', web('1'), undefined, creds);
  const seen = await call(replicas[2]!.api, 'DescribeTaskDefinition', { taskDefinition: `ha-web:${td.taskDefinition.revision}` }, undefined, creds);
  assert.equal(seen.taskDefinition.revision, td.taskDefinition.revision);
});

test('GetTaskLogs through a replica that holds no agent session is relayed to the one that does', async () => {
  // Agent 0 dials replica 0, agent 1 replica 1: replica 2 holds no session, so every read through it is relayed.
  await call(replicas[0]!.api, 'RegisterTaskDefinition', { family: 'ha-talk', containerDefinitions: [{ name: 'talk', image: TEST_IMAGE, command: ['sh', '-c', 'echo relayed-line; sleep 60'], memory: 16, stopTimeout: 1 }] }, undefined, creds);
  const run = await call(replicas[2]!.api, 'RunTask', { cluster: c.name, taskDefinition: 'ha-talk' }, undefined, creds);
  const taskArn: string = run.tasks[0].taskArn;
  try {
    const text = await waitFor(async () => {
      const r = await callRaw(replicas[2]!.api, { target: `${STEVEDORE_TARGET}.GetTaskLogs`, body: JSON.stringify({ cluster: c.name, task: taskArn }), credentials: creds });
      return r.status === 200 && r.text.includes('relayed-line') ? r.text : undefined;
    }, { description: 'the log line read through replica 2', timeoutMs: 60_000, intervalMs: 300 });
    assert.deepEqual(JSON.parse(text.trim().split('\n')[0]!), { stream: 'stdout', data: 'relayed-line\n' });
  } finally {
    await call(replicas[2]!.api, 'StopTask', { cluster: c.name, task: taskArn }, undefined, creds);
  }
});

/**
 * A balancer in front of the replicas that sends API calls to `api` and exec
 * streams to `streams` (a round robin may well do that); it records where
 * each connection went.
 */
async function startBalancer(api: string, streams: string) {
  const seen: string[] = [];
  const server = net.createServer((client) => {
    client.on('error', () => undefined);
    client.once('data', (first: Buffer) => {
      client.pause();
      const requestLine = first.toString('latin1').split('\r\n')[0] ?? '';
      const to = new URL(/^GET \/v1\/exec\//.test(requestLine) ? streams : api);
      seen.push(`${requestLine.split(' ').slice(0, 2).join(' ')} -> ${to.host}`);
      const upstream = net.connect(Number(to.port), to.hostname, () => {
        upstream.write(first);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen, close: () => new Promise((r) => server.close(r)) };
}

test('ECS Exec through any replica: granted through a replica without the agent session, the stream on a third, relayed to the wildcard replica that holds it', async () => {
  // Agent 1 holds its session with replica 1 (0.0.0.0, advertised); replica 2 holds none; replica 0 neither granted nor holds this one.
  const agentReady = () =>
    new Promise<any>((resolve, reject) => {
      http.get({ socketPath: path.join(c.dataDir, 'agent-1', 'health.sock'), path: '/ready' }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b.toString()));
        res.on('end', () => resolve(JSON.parse(body)));
      }).on('error', reject);
    });
  assert.equal((await agentReady()).controlPlane, replicas[1]!.agent);
  await call(replicas[0]!.api, 'RegisterTaskDefinition', { family: 'ha-exec', containerDefinitions: [{ name: 'shell', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 1 }] }, undefined, creds);
  const run = await call(replicas[2]!.api, 'RunTask', { cluster: c.name, taskDefinition: 'ha-exec', enableExecuteCommand: true, placementConstraints: [{ type: 'memberOf', expression: `attribute:${AGENT_INDEX_ATTRIBUTE} == 1` }] }, undefined, creds);
  const taskArn: string = run.tasks[0].taskArn;
  const lb = await startBalancer(replicas[2]!.api, replicas[0]!.api);
  try {
    await waitFor(async () => (await call(replicas[2]!.api, 'DescribeTasks', { cluster: c.name, tasks: [taskArn] }, undefined, creds)).tasks[0].lastStatus === 'RUNNING' || undefined, { description: 'the exec task RUNNING', timeoutMs: 60_000, intervalMs: 200 });
    // The real CLI through the balancer, stdin piped: a line in, its echo out, then the next; EOF ends the loop with exit code 5.
    const script = 'while read l; do echo "got:$l"; done; echo bye >&2; exit 5';
    const cli = spawn(process.execPath, [CLI_BIN, '--endpoint', lb.endpoint, '--cluster', c.name, 'exec', taskArn, '--', 'sh', '-c', script], {
      env: { ...process.env, AWS_PROFILE: undefined, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined, AWS_SESSION_TOKEN: undefined, STEVEDORE_CREDENTIALS_FILE: undefined, AWS_SHARED_CREDENTIALS_FILE: c.adminCredentialsFile },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    cli.stdout.on('data', (b: Buffer) => (out += b.toString()));
    cli.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => cli.on('close', resolve));
    const timer = setTimeout(() => cli.kill('SIGKILL'), 60_000);
    try {
      cli.stdin.write('one\n');
      await waitFor(() => out.includes('got:one\n') || undefined, { description: `the first echo (stderr: ${err})`, timeoutMs: 30_000, intervalMs: 50 });
      assert.equal(out, 'got:one\n', 'the second line is not sent yet');
      cli.stdin.write('two\n');
      await waitFor(() => out.includes('got:two\n') || undefined, { description: 'the second echo', timeoutMs: 30_000, intervalMs: 50 });
      cli.stdin.end();
      assert.equal(await exited, 5, err);
    } finally {
      clearTimeout(timer);
      cli.kill('SIGKILL');
    }
    assert.equal(out, 'got:one\ngot:two\n');
    assert.equal(err, 'bye\n');
    // And what each replica did, by its own log: 2 had the grant made by 1, 0 forwarded the stream to 1, 1 ran the session to its exit code.
    const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, any>);
    const granted = lines(replicas[2]!.log).find((l) => l.msg === 'execute command session granted by the replica holding the agent session' && l.task === taskArn);
    assert.ok(granted, 'replica 2 relayed the grant');
    const replica1 = (await ready(replicas[1]!.api))!.replicaId;
    assert.equal(granted.heldBy, replica1);
    const session = granted.execSession as string;
    // Where it went: ExecuteCommand to replica 2, the stream to replica 0.
    assert.deepEqual(lb.seen, [`POST / -> ${new URL(replicas[2]!.api).host}`, `GET /v1/exec/${session} -> ${new URL(replicas[0]!.api).host}`]);
    await waitFor(() => lines(replicas[0]!.log).find((l) => l.msg === 'exec stream forwarded to the replica that granted the session' && l.execSession === session && l.grantedBy === replica1), { description: 'replica 0 forwarded the stream to replica 1', timeoutMs: 10_000, intervalMs: 100 });
    const ended = await waitFor(() => lines(replicas[1]!.log).find((l) => l.msg === 'exec session ended' && l.execSession === session), { description: "replica 1's audit line", timeoutMs: 10_000, intervalMs: 100 });
    assert.equal(ended.exitCode, 5);
    assert.equal(ended.accessKeyId, creds.accessKeyId);
  } finally {
    await lb.close();
    await call(replicas[2]!.api, 'StopTask', { cluster: c.name, task: taskArn }, undefined, creds);
  }
});

test('kill -9 of the leader during a rolling deployment: a new leader within 10 s, the deployment completes, no task started twice, no acknowledged write lost', async (t) => {
  t.after(() => {
    failed ||= (t as { passed?: boolean }).passed === false;
  });
  const v1 = await anyReplica('RegisterTaskDefinition', web('1'), 1);
  const v2 = await anyReplica('RegisterTaskDefinition', web('2'), 2);
  const td = (r: any) => `ha-web:${r.taskDefinition.revision}`;
  await anyReplica('CreateService', { cluster: c.name, serviceName: 'ha', taskDefinition: td(v1), desiredCount: 4, deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } }, 1);
  const describe = async () => (await anyReplica('DescribeServices', { cluster: c.name, services: ['ha'] }, 1)).services[0];
  await waitFor(async () => ((await describe()).runningCount === 4 ? true : undefined), { description: '4 tasks of v1 running', timeoutMs: 120_000, intervalMs: 500 });
  // Both agents run some: agent 1 is on a follower, so it learnt of its tasks through the change feed.
  const running = await listContainers({ 'stevedore.cluster': c.name });
  assert.equal(new Set(running.filter((x) => x.state === 'running').map((x) => x.labels['stevedore.instance'])).size, 2, 'tasks on both agents');

  const update = await anyReplica('UpdateService', { cluster: c.name, service: 'ha', taskDefinition: td(v2) }, 2);
  const next = (update.service.deployments as any[]).find((d) => d.status === 'PRIMARY').id as string;
  await waitFor(async () => {
    const arns: string[] = (await anyReplica('ListTasks', { cluster: c.name, serviceName: 'ha' }, 1)).taskArns;
    const tasks: any[] = arns.length ? (await anyReplica('DescribeTasks', { cluster: c.name, tasks: arns }, 1)).tasks : [];
    return tasks.some((t) => t.startedBy === next && t.lastStatus === 'RUNNING') || undefined;
  }, { description: 'a task of the new deployment RUNNING', timeoutMs: 120_000, intervalMs: 200 });

  // A stream of writes through any replica, during the kill and after it.
  const acknowledged: number[] = [];
  let failures = 0;
  // The longest stretch without an acknowledged write: from the start of the first call after an answer to the next answer (a call that hangs counts as much as one that fails).
  let window = 0;
  let lastAnswerAt: number | undefined;
  let streaming = true;
  const retriedBefore = retriedElsewhere;
  const stream = (async () => {
    for (let n = 0; streaming; n++) {
      const startedAt = Date.now();
      try {
        const r = await anyReplica('RegisterTaskDefinition', { family: 'ha-stream', containerDefinitions: [{ name: 'x', image: TEST_IMAGE, memory: 8 }] }, n % 3);
        acknowledged.push(r.taskDefinition.revision as number);
        window = Math.max(window, Date.now() - (lastAnswerAt ?? startedAt));
        lastAnswerAt = Date.now();
      } catch {
        failures++;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  })();
  // However this test ends, the stream stops (a failed assertion would leave it looping and the file would never exit).
  t.after(() => {
    streaming = false;
  });
  await waitFor(() => acknowledged.length >= 5 || undefined, { description: 'writes flowing before the kill', timeoutMs: 30_000, intervalMs: 50 });
  const leaderBefore = (await ready(replicas[0]!.api))!;
  assert.equal(leaderBefore.leader, true);
  await c.stopControlPlane('SIGKILL');
  const killedAt = Date.now();
  const takeover = await waitFor(
    async () => {
      for (const r of replicas.slice(1)) {
        const s = await ready(r.api);
        if (s?.leader && s.epoch > leaderBefore.epoch) return { ...s, at: Date.now() };
      }
      return undefined;
    },
    { description: 'a new leader', timeoutMs: 30_000, intervalMs: 100 },
  );
  // When it took the lease, by its own log (the /ready polls above add their own latency).
  // Its log file may lag its /ready answer (pino writes asynchronously): wait for the line.
  const newLeaderLine = await waitFor(
    () =>
      replicas
        .slice(1)
        .flatMap((r) => readFileSync(r.log, 'utf8').split('\n'))
        .find((l) => l.includes('became the leader') && l.includes(`"replica":"${takeover.replicaId}"`)),
    { description: 'the new leader logged its election', timeoutMs: 10_000, intervalMs: 100 },
  );
  const takeoverS = ((JSON.parse(newLeaderLine) as { time: number }).time - killedAt) / 1000;
  assert.ok(takeoverS <= 10, `new leader ${takeover.replicaId} after ${takeoverS} s`);
  assert.ok(takeover.at - killedAt <= 20_000, `its /ready said so ${(takeover.at - killedAt) / 1000} s after the kill`);
  // Every surviving replica names it.
  for (const r of replicas.slice(1)) await waitFor(async () => ((await ready(r.api))?.leaderId === takeover.replicaId) || undefined, { description: `${r.api} names the new leader`, timeoutMs: 10_000, intervalMs: 100 });

  const done = await waitFor(async () => {
    const s = await describe();
    const d = (s.deployments as any[]).find((x) => x.id === next);
    return d?.rolloutState === 'COMPLETED' && s.deployments.length === 1 ? s : undefined;
  }, { description: 'the deployment COMPLETED under the new leader', timeoutMs: 180_000, intervalMs: 500 });
  assert.equal(done.runningCount, 4);
  streaming = false;
  await stream;

  // No acknowledged write lost: every revision answered 200 is stored.
  const listed = new Set<number>();
  let nextToken: string | undefined;
  do {
    const page: any = await anyReplica('ListTaskDefinitions', { familyPrefix: 'ha-stream', ...(nextToken ? { nextToken } : {}) }, 1);
    for (const arn of page.taskDefinitionArns as string[]) listed.add(Number(arn.split(':').pop()));
    nextToken = page.nextToken;
  } while (nextToken);
  assert.ok(acknowledged.length >= 10, `${acknowledged.length} writes acknowledged`);
  assert.deepEqual(acknowledged.filter((rev) => !listed.has(rev)), [], 'acknowledged revisions missing after the failover');
  // API calls fail (or hang) at most for the failover window: never longer than the 10 s a new leader takes at most.
  assert.ok(window <= 10_000, `${(window / 1000).toFixed(1)} s without an acknowledged write`);

  // No task started twice: one container per task and container name, and exactly the 4 new tasks run.
  const containers = await listContainers({ 'stevedore.cluster': c.name });
  const perTask = new Map<string, number>();
  for (const x of containers) {
    const key = `${x.labels['stevedore.task']}/${x.labels['stevedore.container']}`;
    perTask.set(key, (perTask.get(key) ?? 0) + 1);
  }
  assert.deepEqual([...perTask].filter(([, n]) => n > 1), [], 'a task with two containers of one name');
  const arns: string[] = (await anyReplica('ListTasks', { cluster: c.name, serviceName: 'ha' }, 1)).taskArns;
  const tasks: any[] = (await anyReplica('DescribeTasks', { cluster: c.name, tasks: arns }, 1)).tasks;
  assert.deepEqual(tasks.map((t) => t.startedBy), [next, next, next, next]);
  const live = new Set(containers.filter((x) => x.state === 'running').map((x) => x.labels['stevedore.task']));
  assert.deepEqual(tasks.map((t) => t.taskArn).filter((a) => !live.has(a)), [], 'every RUNNING task has its container running');

  // Agent 0 was on the dead leader: it moved to a surviving replica, as its own health endpoint says.
  await waitFor(async () => {
    const arns: string[] = (await anyReplica('ListContainerInstances', { cluster: c.name }, 1)).containerInstanceArns;
    const insts: any[] = (await anyReplica('DescribeContainerInstances', { cluster: c.name, containerInstances: arns }, 1)).containerInstances;
    return (insts.length === 2 && insts.every((i) => i.agentConnected === true)) || undefined;
  }, { description: 'both agents connected to the surviving replicas', timeoutMs: 60_000, intervalMs: 200 });
  const agentHealth = await new Promise<any>((resolve, reject) => {
    http.get({ socketPath: path.join(c.dataDir, 'agent-0', 'health.sock'), path: '/ready' }, (res) => {
      let body = '';
      res.on('data', (b: Buffer) => (body += b.toString()));
      res.on('end', () => resolve(JSON.parse(body)));
    }).on('error', reject);
  });
  assert.ok([replicas[1]!.agent, replicas[2]!.agent].includes(agentHealth.controlPlane), `agent 0 on ${agentHealth.controlPlane}`);

  process.stdout.write(
    `# failover: new leader after ${takeoverS.toFixed(1)} s (lease ttl ${LEASE_TTL_S} s); API: ${retriedElsewhere - retriedBefore} calls retried on another replica, ${failures} failed on all, longest window without an answer ${(window / 1000).toFixed(1)} s, ${acknowledged.length} writes acknowledged, none lost\n`,
  );
});
