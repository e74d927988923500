import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../testing/until';
import { SimAgent } from '../testing/sim-agent';
import { rawCall, requestHeaders } from '../testing/signed-client';
import { RELAY_LOGS_PATH, RELAY_SIGNATURE_HEADER, signRelay, verifyRelay } from './replica-relay';
import { startTwoReplicas } from '../testing/two-replicas';

const SV = 'Stevedore_20261125.';
const ECS = 'AmazonEC2ContainerServiceV20141113.';

test('signatures: only the right key, body and a fresh time pass', () => {
  const key = Buffer.alloc(32, 7);
  const now = 1_800_000_000_000;
  const sig = signRelay(key, '{"a":1}', now);
  assert.equal(verifyRelay(key, '{"a":1}', sig, now + 1000), true);
  assert.equal(verifyRelay(key, '{"a":2}', sig, now), false);
  assert.equal(verifyRelay(Buffer.alloc(32, 8), '{"a":1}', sig, now), false);
  assert.equal(verifyRelay(key, '{"a":1}', sig, now + 61_000), false);
  assert.equal(verifyRelay(key, '{"a":1}', undefined, now), false);
  assert.equal(verifyRelay(key, '{"a":1}', 'garbage', now), false);
});

test('GetTaskLogs on replica B reads an agent connected to replica A (relayed), follow included; the hop refuses outsiders', async () => {
  const replicas = await startTwoReplicas('sv-relay-');
  const { a, b, onA, onB, admin, call } = replicas;
  const agent = new SimAgent(`127.0.0.1:${a.agentPort}`, { cluster: 'logs', ec2InstanceId: 'relay-host', logLines: (_arn, name) => [`hello from ${name}`, 'second line'] });
  try {
    assert.equal((await call(onB, `${ECS}CreateCluster`, { clusterName: 'logs' })).status, 200);
    assert.equal((await call(onB, `${ECS}RegisterTaskDefinition`, { family: 'talk', containerDefinitions: [{ name: 'app', image: 'img', memory: 64 }] })).status, 200);
    await agent.start();
    await until('the session recorded on replica A', () => (b.store.instances.sessionReplica(agent.instanceId) === 'replica-a' ? true : undefined));
    const taskArn = await until('a task placed', async () => {
      const r = await call(onB, `${ECS}RunTask`, { cluster: 'logs', taskDefinition: 'talk' });
      return (r.body['tasks']?.[0]?.taskArn as string | undefined) ?? undefined;
    });
    await until('the task RUNNING', async () => ((await call(onB, `${ECS}DescribeTasks`, { cluster: 'logs', tasks: [taskArn] })).body['tasks']?.[0]?.lastStatus === 'RUNNING' ? true : undefined));

    // A plain read through B: B holds no session for the agent, A serves it.
    assert.equal(b.store.instances.sessionReplica(agent.instanceId), 'replica-a');
    const read = await call(onB, `${SV}GetTaskLogs`, { cluster: 'logs', task: taskArn });
    assert.equal(read.status, 200, read.text);
    // The agent's chunks may arrive merged or split: compare the text of each stream.
    const lines = read.text.trim().split('\n').map((l) => JSON.parse(l) as { stream: string; data: string });
    assert.deepEqual([...new Set(lines.map((l) => l.stream))], ['stdout']);
    assert.equal(lines.map((l) => l.data).join(''), 'hello from app\nsecond line\n');

    // A follow through B: lines the agent writes later reach the reader; the reader leaving closes the agent's call.
    const body = JSON.stringify({ cluster: 'logs', task: taskArn, follow: true, tail: 0 });
    const ctl = new AbortController();
    const res = await fetch(onB, { method: 'POST', headers: await requestHeaders(onB, { target: `${SV}GetTaskLogs`, body, credentials: admin }), body, signal: ctl.signal });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    let seen = '';
    const readUntil = async (want: string) => {
      while (!seen.includes(want)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${want}: ${seen}`);
        seen += Buffer.from(value).toString('utf8');
      }
    };
    await readUntil('second line');
    await until('the follow open on the agent', () => (agent.follows.size === 1 ? true : undefined));
    agent.pushLog('later line');
    await readUntil('later line');
    ctl.abort();
    await until('the agent call closed after the reader left', () => (agent.follows.size === 0 ? true : undefined));

    // The hop itself: unsigned, wrongly signed or stale, it is refused and opens nothing on the agent.
    const hop = JSON.stringify({ instanceId: agent.instanceId, query: { taskArn, containerName: 'app', follow: false, tail: 0, sinceMs: 0, maxBytes: 0 } });
    const before = agent.follows.size;
    for (const sig of [undefined, signRelay(Buffer.alloc(32, 1), hop, Date.now()), signRelay(a.relay!.key, hop, Date.now() - 120_000)]) {
      const r = await fetch(`${onA}${RELAY_LOGS_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(sig ? { [RELAY_SIGNATURE_HEADER]: sig } : {}) }, body: hop });
      assert.equal(r.status, 403);
      assert.equal(((await r.json()) as { __type: string }).__type, 'AccessDeniedException');
    }
    assert.equal(agent.follows.size, before);
    // Signed with the replicas' key, the same hop is served (the key is what stands between outsiders and the route).
    const signed = await fetch(`${onA}${RELAY_LOGS_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', [RELAY_SIGNATURE_HEADER]: signRelay(a.relay!.key, hop, Date.now()) }, body: hop });
    assert.equal(signed.status, 200);
    assert.match(await signed.text(), /hello from app/);
    // An unsigned GetTaskLogs on B is refused before anything is relayed.
    const unsigned = await rawCall(onB, { target: `${SV}GetTaskLogs`, body: JSON.stringify({ cluster: 'logs', task: taskArn }) });
    assert.notEqual(unsigned.status, 200);

    // The agent gone from A: B answers as before, not connected.
    agent.close();
    await until('the session closed', () => (b.store.instances.sessionReplica(agent.instanceId) === null ? true : undefined));
    const gone = await call(onB, `${SV}GetTaskLogs`, { cluster: 'logs', task: taskArn });
    assert.equal(gone.body['__type'], 'ClientException');
    assert.match(gone.body['message'], /not connected/);
  } finally {
    agent.close();
    await replicas.stop();
  }
});
