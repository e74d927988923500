import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startTestControlPlane, eventually } from '../testing/harness';
import { SimAgent } from '../testing/sim-agent';

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
let agent: SimAgent;
let taskArn: string;
before(async () => {
  h = await startTestControlPlane({ heartbeatPeriodMs: 300 });
  await h.call('CreateCluster', { clusterName: 'ex' });
  await h.call('RegisterTaskDefinition', {
    family: 'pair',
    containerDefinitions: [
      { name: 'web', image: 'img', memory: 64 },
      { name: 'side', image: 'img', memory: 64, essential: false },
    ],
  });
  agent = new SimAgent(h.agentAddress, { cluster: 'ex', ec2InstanceId: 'ex-host' });
  await agent.start();
  taskArn = await eventually(async () => {
    const r = await h.call('RunTask', { cluster: 'ex', taskDefinition: 'pair', enableExecuteCommand: true });
    return r.body['tasks']?.[0]?.taskArn as string | undefined;
  }, 'a task placed');
  await eventually(async () => (await h.call('DescribeTasks', { cluster: 'ex', tasks: [taskArn] })).body['tasks'][0].lastStatus === 'RUNNING', 'the task RUNNING', 10_000);
});
after(async () => {
  agent.close();
  await h.cp.stop();
});

test('ExecuteCommand refuses as ECS does, naming the field', async () => {
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ cluster: 'ex', task: taskArn, container: 'web', command: 'sh', interactive: false }, 'InvalidParameterException', /Interactive is the only mode supported currently/],
    [{ cluster: 'ex', task: taskArn, container: 'web', command: 'sh' }, 'InvalidParameterException', /interactive/],
    [{ cluster: 'ex', task: taskArn, command: 'sh', interactive: true }, 'InvalidParameterException', /2 containers \(web, side\)/],
    [{ cluster: 'ex', task: taskArn, container: 'nope', command: 'sh', interactive: true }, 'InvalidParameterException', /container nope was not found/],
    [{ cluster: 'ex', task: taskArn, container: 'web', command: "sh -c 'open", interactive: true }, 'InvalidParameterException', /unterminated single quote/],
    [{ cluster: 'ex', task: 'f'.repeat(32), container: 'web', command: 'sh', interactive: true }, 'InvalidParameterException', /task was not found/],
    [{ cluster: 'nope', task: taskArn, container: 'web', command: 'sh', interactive: true }, 'ClusterNotFoundException', /Cluster not found/],
  ];
  for (const [body, type, message] of cases) {
    const r = await h.call('ExecuteCommand', body);
    assert.equal(r.body['__type'], type, JSON.stringify(body));
    assert.match(r.body['message'], message);
  }
  // A task run without enableExecuteCommand: ECS's message.
  const plain = (await h.call('RunTask', { cluster: 'ex', taskDefinition: 'pair' })).body['tasks'][0].taskArn;
  const r = await h.call('ExecuteCommand', { cluster: 'ex', task: plain, container: 'web', command: 'sh', interactive: true });
  assert.match(r.body['message'], /execute command was not enabled when the task was run/);
});

test('ExecuteCommand answers with ECS\'s shape; the stream URL takes the token once', async () => {
  const r = await h.call('ExecuteCommand', { cluster: 'ex', task: taskArn, container: 'web', command: 'sh', interactive: true });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const b = r.body;
  assert.equal(b['clusterArn'], 'arn:aws:ecs:us-east-1:000000000000:cluster/ex');
  assert.equal(b['taskArn'], taskArn);
  assert.equal(b['containerName'], 'web');
  assert.equal(b['interactive'], true);
  assert.match(b['containerArn'], /^arn:aws:ecs:us-east-1:000000000000:container\/ex\/[0-9a-f]{32}\/[0-9a-f]{32}$/);
  const { sessionId, streamUrl, tokenValue } = b['session'];
  assert.match(sessionId, /^ecs-execute-command-[0-9a-f]{24}$/);
  assert.equal(streamUrl, `${h.endpoint.replace('http:', 'ws:')}/v1/exec/${sessionId}`);
  assert.ok(typeof tokenValue === 'string' && tokenValue.length >= 40);

  const first = async (open: unknown) => {
    const ws = new WebSocket(streamUrl);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify(open));
    const msg = await new Promise<string>((resolve) => ws.once('message', (d) => resolve(String(d))));
    ws.terminate();
    return JSON.parse(msg) as { type: string; code?: string };
  };
  assert.deepEqual((await first({ type: 'open', token: 'not-the-token' })).code, 'InvalidTokenException');
  // The right token is taken (the simulated agent never answers, so nothing more comes back at once).
  const ws = new WebSocket(streamUrl);
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(JSON.stringify({ type: 'open', token: tokenValue, tty: false }));
  await eventually(() => h.cp.execSessionsOpen() === 1 || undefined, 'the session waiting for its agent');
  // Single use: the same token again is refused.
  assert.equal((await first({ type: 'open', token: tokenValue })).code, 'InvalidTokenException');
  ws.terminate();
  // Anything else upgrading is refused.
  const other = new WebSocket(`${h.endpoint.replace('http:', 'ws:')}/v1/other`);
  await assert.rejects(new Promise((resolve, reject) => other.once('open', resolve).once('error', reject)), /404/);
});
