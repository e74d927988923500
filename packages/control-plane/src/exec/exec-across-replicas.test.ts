import { test } from 'node:test';
import assert from 'node:assert/strict';
import { until } from '../testing/until';
import { SimAgent } from '../testing/sim-agent';
import { rawCall } from '../testing/signed-client';
import { RELAY_SIGNATURE_HEADER, signRelay } from '../relay/replica-relay';
import { RELAY_EXEC_GRANT_PATH } from './exec-grant-relay';
import { openExecStream as openStream } from '../testing/exec-stream-client';
import { startTwoReplicas } from '../testing/two-replicas';

const SV = 'Stevedore_20261125.';
const ECS = 'AmazonEC2ContainerServiceV20141113.';

test('ExecuteCommand through replica B for an agent connected to replica A: A grants it, the stream works landing on B (forwarded) or on A; forged routes and unsigned hops are refused', async () => {
  const replicas = await startTwoReplicas('sv-exec-relay-');
  const { a, b, onA, onB, call } = replicas;
  const agent = new SimAgent(`127.0.0.1:${a.agentPort}`, { cluster: 'ex', ec2InstanceId: 'exec-host', execExitCode: 7 });
  try {
    assert.equal((await call(onB, `${ECS}CreateCluster`, { clusterName: 'ex' })).status, 200);
    assert.equal((await call(onB, `${ECS}RegisterTaskDefinition`, { family: 'sh', containerDefinitions: [{ name: 'app', image: 'img', memory: 64 }] })).status, 200);
    await agent.start();
    await until('the session recorded on replica A', () => (b.store.instances.sessionReplica(agent.instanceId) === 'replica-a' ? true : undefined));
    const taskArn = await until('a task placed', async () => (await call(onB, `${ECS}RunTask`, { cluster: 'ex', taskDefinition: 'sh', enableExecuteCommand: true })).body['tasks']?.[0]?.taskArn as string | undefined);
    await until('the task RUNNING', async () => ((await call(onB, `${ECS}DescribeTasks`, { cluster: 'ex', tasks: [taskArn] })).body['tasks']?.[0]?.lastStatus === 'RUNNING' ? true : undefined));
    const grant = async (endpoint: string) => {
      const r = await call(endpoint, `${ECS}ExecuteCommand`, { cluster: 'ex', task: taskArn, command: 'sh -c "read x"', interactive: true });
      assert.equal(r.status, 200, r.text);
      return r.body['session'] as { sessionId: string; streamUrl: string; tokenValue: string };
    };

    // Granted through B: the session lives in A (where the agent's ExecSession call arrives); the URL names B, the endpoint the caller used.
    const s1 = await grant(onB);
    assert.equal(s1.streamUrl, `ws://127.0.0.1:${b.apiPort}/v1/exec/${s1.sessionId}`);
    assert.equal(a.execSessionsOpen(), 1);
    assert.equal(b.execSessionsOpen(), 0);

    // The stream on B is forwarded to A, both ways: binary stdin and output, resize, eof, the exit code, the close.
    const st = await openStream(s1.streamUrl);
    st.text({ type: 'open', token: s1.tokenValue, tty: true, cols: 80, rows: 24 });
    await until('started', () => (st.texts().some((m) => m.type === 'started') ? true : undefined));
    st.bytes('hello\n');
    await until('the echo', () => (st.stdout() === 'echo:hello\n' ? true : undefined));
    st.text({ type: 'resize', cols: 100, rows: 30 });
    st.bytes('again\n');
    await until('the second echo', () => (st.stdout() === 'echo:hello\necho:again\n' ? true : undefined));
    st.text({ type: 'eof' });
    assert.deepEqual(await st.closed, { code: 1000, reason: '' });
    assert.deepEqual(st.texts().at(-1), { type: 'exit', exitCode: 7 });
    const seen = agent.execSessions[0]!;
    assert.deepEqual([seen.request.session_id, seen.request.command, seen.request.tty, seen.request.cols, seen.request.rows], [s1.sessionId, ['sh', '-c', 'read x'], true, 80, 24]);
    assert.deepEqual(seen.frames.map((f) => (f.eof ? 'eof' : f.cols ? `${f.cols}x${f.rows}` : f.data.toString())), ['hello\n', '100x30', 'again\n', 'eof']);
    await until('the session ended on A', () => (a.execSessionsOpen() === 0 ? true : undefined));

    // The token is single use, wherever it is presented again.
    for (const endpoint of [onB, onA]) {
      const again = await openStream(`${endpoint.replace('http:', 'ws:')}/v1/exec/${s1.sessionId}`);
      again.text({ type: 'open', token: s1.tokenValue, tty: false });
      await again.closed;
      assert.equal(again.texts()[0]?.code, 'InvalidTokenException', endpoint);
    }

    // A forged route (or another session's token) opens nothing, and does not use up the real token.
    const s2 = await grant(onB);
    const secret = s2.tokenValue.split('.')[1]!;
    const s3 = await grant(onB);
    for (const token of [`${'A'.repeat(22)}.${secret}`, secret, s3.tokenValue]) {
      const forged = await openStream(`ws://127.0.0.1:${b.apiPort}/v1/exec/${s2.sessionId}`);
      forged.text({ type: 'open', token, tty: false });
      await forged.closed;
      assert.equal(forged.texts()[0]?.code, 'InvalidTokenException', token);
    }
    // The hop itself: unsigned, wrongly signed or stale, the stream route and the grant route refuse and open nothing.
    const hopPath = `/internal/replica/v1/exec/${s2.sessionId}`;
    const grantBody = JSON.stringify({ grant: { cluster: 'ex', taskId: taskArn.split('/').pop(), taskArn, containerName: 'app', instanceId: agent.instanceId, command: ['sh'], accessKeyId: 'AKIAOUTSIDER', principal: 'arn:aws:iam::000000000000:user/outsider' } });
    const opened = a.execSessionsOpen();
    for (const sign of [undefined, (body: string) => signRelay(Buffer.alloc(32, 1), body, Date.now()), (body: string) => signRelay(a.relay!.key, body, Date.now() - 120_000)]) {
      await assert.rejects(openStream(`ws://127.0.0.1:${a.apiPort}${hopPath}`, sign ? { [RELAY_SIGNATURE_HEADER]: sign(`GET ${hopPath}`) } : {}), /HTTP 403/);
      const r = await fetch(`${onA}${RELAY_EXEC_GRANT_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(sign ? { [RELAY_SIGNATURE_HEADER]: sign(grantBody) } : {}) }, body: grantBody });
      assert.equal(r.status, 403);
      assert.equal(((await r.json()) as { __type: string }).__type, 'AccessDeniedException');
    }
    assert.equal(a.execSessionsOpen(), opened);
    // Signed with the replicas' key, the grant route creates a session (the key is what stands between outsiders and it).
    const signed = await fetch(`${onA}${RELAY_EXEC_GRANT_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', [RELAY_SIGNATURE_HEADER]: signRelay(a.relay!.key, grantBody, Date.now()) }, body: grantBody });
    assert.equal(signed.status, 200);
    assert.equal(a.execSessionsOpen(), opened + 1);

    // Granted through B, the stream straight on A works too (the public route of the granting replica).
    const direct = await openStream(`ws://127.0.0.1:${a.apiPort}/v1/exec/${s2.sessionId}`);
    direct.text({ type: 'open', token: s2.tokenValue, tty: false });
    direct.text({ type: 'eof' });
    await direct.closed;
    assert.deepEqual(direct.texts().at(-1), { type: 'exit', exitCode: 7 });

    // An unsigned ExecuteCommand on B is refused before anything is relayed.
    assert.notEqual((await rawCall(onB, { target: `${ECS}ExecuteCommand`, body: JSON.stringify({ cluster: 'ex', task: taskArn, command: 'sh', interactive: true }) })).status, 200);

    // The agent gone from A: B answers TargetNotConnectedException, as before.
    agent.close();
    await until('the session closed', () => (b.store.instances.sessionReplica(agent.instanceId) === null ? true : undefined));
    const gone = await call(onB, `${ECS}ExecuteCommand`, { cluster: 'ex', task: taskArn, command: 'sh', interactive: true });
    assert.equal(gone.body['__type'], 'TargetNotConnectedException');
  } finally {
    agent.close();
    await replicas.stop();
  }
});
