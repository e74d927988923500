import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { dispatcherClientCtor, generateKeyAndCsr } from '@stevedore/proto';
import { startTestControlPlane } from '../testing/harness';
import { parseConfig } from '../config';
import { DEFAULT_JOIN_RATE_LIMIT, JoinRateLimiter, joinRequestProblem, peerAddress } from './join-limits';

const TOKEN = `SVDR-abcd1234.${'x'.repeat(43)}`;
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMII...\n-----END CERTIFICATE REQUEST-----\n';

test('join requests refused on their shape: size, token format and length, cluster name, CSR framing', () => {
  const ok = { token: TOKEN, cluster: 'prod', csr_pem: CSR };
  assert.equal(joinRequestProblem(ok), undefined);
  const cases: [string, Partial<typeof ok>, grpc.status, RegExp][] = [
    ['oversized CSR', { csr_pem: CSR + 'A'.repeat(5000) }, grpc.status.INVALID_ARGUMENT, /too large/],
    ['oversized token', { token: 'x'.repeat(10_000) }, grpc.status.INVALID_ARGUMENT, /too large/],
    ['empty token', { token: '' }, grpc.status.UNAUTHENTICATED, /^invalid join token$/],
    ['short secret', { token: `SVDR-abcd1234.${'x'.repeat(42)}` }, grpc.status.UNAUTHENTICATED, /^invalid join token$/],
    ['long secret', { token: `SVDR-abcd1234.${'x'.repeat(44)}` }, grpc.status.UNAUTHENTICATED, /^invalid join token$/],
    ['bad id', { token: `SVDR-ABCD1234.${'x'.repeat(43)}` }, grpc.status.UNAUTHENTICATED, /^invalid join token$/],
    ['bad alphabet', { token: `SVDR-abcd1234.${'x'.repeat(42)}!` }, grpc.status.UNAUTHENTICATED, /^invalid join token$/],
    ['cluster name', { cluster: 'a b' }, grpc.status.INVALID_ARGUMENT, /^cluster: /],
    ['empty cluster', { cluster: '' }, grpc.status.INVALID_ARGUMENT, /^cluster: /],
    ['not a CSR', { csr_pem: 'garbage' }, grpc.status.INVALID_ARGUMENT, /^csr_pem: /],
  ];
  for (const [what, over, code, re] of cases) {
    const p = joinRequestProblem({ ...ok, ...over });
    assert.equal(p?.code, code, what);
    assert.match(p!.reason, re, what);
    assert.ok(!p!.reason.includes('xxxx'), `${what}: the token is not echoed`);
  }
});

test('the per-address limiter: a burst, then the steady rate; addresses are independent; memory is bounded', () => {
  const l = new JoinRateLimiter({ perMinute: 60, burst: 3 }, 100);
  assert.deepEqual([0, 0, 0, 0].map(() => l.take('a', 0)), [true, true, true, false]);
  assert.equal(l.take('b', 0), true, 'another address has its own bucket');
  assert.equal(l.take('a', 999), false);
  assert.equal(l.take('a', 1000), true, 'one more a second at 60 a minute');
  assert.equal(l.take('a', 1000), false);
  for (let i = 0; i < 10_000; i++) l.take(`addr-${i}`, 2000 + i);
  assert.ok(l.size <= 100, `bounded: ${l.size}`);
  assert.equal(peerAddress('ipv4:10.0.0.1:51234'), 'ipv4:10.0.0.1');
  assert.equal(peerAddress('ipv6:[::1]:51234'), 'ipv6:[::1]');
});

test('--agent-join-rate-limit PER_MINUTE,BURST (or STEVEDORE_AGENT_JOIN_RATE_LIMIT), 60,20 by default', () => {
  const argv = (...a: string[]) => ['node', 'cp', '--data-dir', '/tmp/x', ...a];
  assert.deepEqual(parseConfig(argv(), {}).agentJoinRateLimit, DEFAULT_JOIN_RATE_LIMIT);
  assert.deepEqual(DEFAULT_JOIN_RATE_LIMIT, { perMinute: 60, burst: 20 });
  assert.deepEqual(parseConfig(argv('--agent-join-rate-limit', '600,100'), {}).agentJoinRateLimit, { perMinute: 600, burst: 100 });
  assert.deepEqual(parseConfig(argv(), { STEVEDORE_AGENT_JOIN_RATE_LIMIT: '5, 2' }).agentJoinRateLimit, { perMinute: 5, burst: 2 });
  for (const bad of ['0,1', '10', 'ten,1', '10,0']) assert.throws(() => parseConfig(argv('--agent-join-rate-limit', bad), {}), /--agent-join-rate-limit/, bad);
});

let h: Awaited<ReturnType<typeof startTestControlPlane>>;
before(async () => {
  h = await startTestControlPlane({ agentJoinRateLimit: { perMinute: 1, burst: 5 } });
});
after(() => h.cp.stop());

function joinClient() {
  return new (dispatcherClientCtor())(h.agentAddress, grpc.credentials.createSsl(Buffer.from(h.cp.store.agentPki.caCertificate()!))) as grpc.Client & Record<string, Function>;
}
const join = (c: ReturnType<typeof joinClient>, req: unknown) => new Promise((resolve, reject) => c['Join']!(req, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
const code = (c: grpc.status, re: RegExp) => (e: grpc.ServiceError) => e.code === c && re.test(e.details);

test('over gRPC: oversized and malformed joins are refused before the CSR or the token is looked at; then the address is rate-limited', async () => {
  await h.call('CreateCluster', { clusterName: 'jl' });
  const created = await h.call('CreateJoinToken', { cluster: 'jl' }, 'Stevedore_20261125.CreateJoinToken');
  assert.equal(created.body['joinToken'].maxUses, 1, 'tokens are one-use by default');
  const token: string = created.body['token'];
  const { csrPem } = await generateKeyAndCsr();
  const c = joinClient();
  // 1. A good token with a huge request: refused on size, the token keeps its use.
  await assert.rejects(join(c, { token, cluster: 'jl', csr_pem: csrPem + ' '.repeat(64 * 1024) }), code(grpc.status.INVALID_ARGUMENT, /too large/));
  // 2. A malformed token with a garbage CSR: the token's shape answers, the CSR is never parsed.
  await assert.rejects(join(c, { token: 'SVDR-short.x', cluster: 'jl', csr_pem: '-----BEGIN CERTIFICATE REQUEST-----\ngarbage' }), code(grpc.status.UNAUTHENTICATED, /^invalid join token$/));
  // 3. A well-formed but wrong token with a garbage CSR: the token is checked first.
  await assert.rejects(join(c, { token: `${token.split('.')[0]}.${'y'.repeat(43)}`, cluster: 'jl', csr_pem: '-----BEGIN CERTIFICATE REQUEST-----\ngarbage' }), code(grpc.status.UNAUTHENTICATED, /^invalid join token$/));
  const listed = await h.call('ListJoinTokens', { cluster: 'jl' }, 'Stevedore_20261125.ListJoinTokens');
  assert.equal(listed.body['joinTokens'][0].uses, 0, 'no refused join used the token');
  // 4. The token joins once, and only once.
  await join(c, { token, cluster: 'jl', csr_pem: csrPem });
  await assert.rejects(join(c, { token, cluster: 'jl', csr_pem: csrPem }), code(grpc.status.UNAUTHENTICATED, /no uses left/));
  // 5. The burst of 5 is spent: even a valid-looking request is refused without work.
  await assert.rejects(join(c, { token, cluster: 'jl', csr_pem: csrPem }), code(grpc.status.RESOURCE_EXHAUSTED, /too many join attempts/));
  c.close();
});
