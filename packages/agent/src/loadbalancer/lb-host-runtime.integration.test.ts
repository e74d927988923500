import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { defaultHealthCheck, type HostListener, type HostLoadBalancer, type HostTarget, type HostTargetGroup, type LoadBalancerHostSet } from '@stevedore/core';
import { LoadBalancerHost, type HealthReport } from './lb-host';
import { findHaproxy, HaproxyProcess, haproxyPaths } from './haproxy-process';
import { parseShowStat } from './haproxy-stats';
import { freePort, httpGet, startBackend, waitUntil, type Backend } from '../testing/lb-fixture';

// What changes a running HAProxy without a reload, against the real haproxy
// binary on loopback only: HAProxy on 127.0.27.1, targets on 127.0.27.2.
const LB_IP = '127.0.27.1';
const TARGET_IP = '127.0.27.2';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:0:targetgroup';

const backends: Backend[] = [];
let dir: string;
let host: LoadBalancerHost;
let proc: HaproxyProcess;
let listenPort: number;
const reports: HealthReport[] = [];
let haproxyBinary: string | undefined;

const hc = { ...defaultHealthCheck('HTTP'), path: '/health', intervalSeconds: 1, timeoutSeconds: 1, healthyThresholdCount: 2, unhealthyThresholdCount: 2 };
const target = (b: Backend, draining = false): HostTarget => ({ registrationId: `reg-${b.name}`, id: b.name, address: TARGET_IP, port: b.port, draining });
const group = (name: string, n: number, targets: HostTarget[], extra: Partial<HostTargetGroup> = {}): HostTargetGroup => ({ arn: `${TG}/${name}/${n}`, name, protocol: 'HTTP', healthCheck: hc, slowStartSeconds: 0, targets, ...extra });

function lbSet(version: string, targetGroups: HostTargetGroup[], listener: Partial<HostListener> = {}): LoadBalancerHostSet {
  const lb: HostLoadBalancer = {
    arn: 'arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/app/rtest/1',
    name: 'rtest',
    type: 'application',
    listeners: [{ arn: 'l1', protocol: 'HTTP', port: listenPort, rules: [], defaultTargetGroupArn: targetGroups[0]!.arn, ...listener }],
    targetGroups,
    errors: [],
  };
  return { version, loadBalancers: [lb] };
}

function lastHealth(registrationId: string) {
  for (let i = reports.length - 1; i >= 0; i--) {
    const t = reports[i]!.targets.find((x) => x.registrationId === registrationId);
    if (t) return t;
  }
  return undefined;
}

async function apply(set: LoadBalancerHostSet): Promise<void> {
  host.setDesired(set);
  await host.idle();
  const status = reports.at(-1)!.loadBalancers[0]!;
  assert.equal(status.state, 'active', JSON.stringify(status));
}

const reloads = async (): Promise<number> => (await proc.proc())!.reloads;

/** The AWSALB value a response set, if any. */
function awsalb(setCookie: string[] | undefined, name = 'AWSALB'): string | undefined {
  const c = (setCookie ?? []).find((x) => x.startsWith(`${name}=`));
  const v = c?.slice(name.length + 1).split(';')[0];
  return v ? v : undefined;
}

before(async () => {
  haproxyBinary = await findHaproxy();
  if (!haproxyBinary) return;
  dir = mkdtempSync(path.join(tmpdir(), 'sv-lbr-'));
  for (const n of ['s1', 's2', 's3']) backends.push(await startBackend(n, TARGET_IP));
  listenPort = await freePort(LB_IP);
  host = new LoadBalancerHost({ dir, hostIp: LB_IP, instanceId: () => 'lb-host', log: pino({ level: process.env['LB_DEBUG'] ? 'debug' : 'silent' }), send: async (r) => void reports.push(r), pollMs: 200, haproxyBinary });
  host.sessionUp();
  proc = new HaproxyProcess(haproxyBinary, haproxyPaths(dir), pino({ level: 'silent' }));
});

after(async () => {
  if (!haproxyBinary) return;
  host.stop();
  await proc.stop();
  for (const b of backends) b.server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a sticky target group changes targets through the runtime API, without a reload, and clients stay on their target', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [s1, s2, s3] = backends as [Backend, Backend, Backend];
  const sticky = (targets: HostTarget[]) => [group('web', 1, targets, { stickinessSeconds: 600 })];
  await apply(lbSet('st-1', sticky([target(s1), target(s2)])));
  await waitUntil(() => lastHealth('reg-s1')?.state === 'healthy' && lastHealth('reg-s2')?.state === 'healthy', 'both targets healthy');
  const first = await httpGet(LB_IP, listenPort, '/');
  const cookie = awsalb(first.headers['set-cookie'] as string[] | undefined);
  assert.ok(cookie, `a new client gets an AWSALB cookie: ${JSON.stringify(first.headers['set-cookie'])}`);
  const mine = first.body;
  const withCookie = async () => (await httpGet(LB_IP, listenPort, '/', { cookie: `AWSALB=${cookie}` })).body;
  for (let i = 0; i < 6; i++) assert.equal(await withCookie(), mine, 'the cookie keeps the client on its target');

  const before = await reloads();
  // A new target: added through the runtime API, and it gets a cookie of its own (set by the key).
  await apply(lbSet('st-2', sticky([target(s1), target(s2), target(s3)])));
  assert.equal(await reloads(), before, 'a new target of a sticky group is not a reload');
  await waitUntil(() => lastHealth('reg-s3')?.state === 'healthy', 's3 healthy');
  const s3Reply = await waitUntil(async () => {
    const r = await httpGet(LB_IP, listenPort, '/');
    return r.body === 's3' ? r : undefined;
  }, 's3 in rotation');
  const s3Cookie = awsalb(s3Reply.headers['set-cookie'] as string[] | undefined);
  assert.ok(s3Cookie && s3Cookie !== cookie, `the runtime-added target has a cookie value of its own: ${JSON.stringify(s3Reply.headers['set-cookie'])}`);
  for (let i = 0; i < 4; i++) assert.equal((await httpGet(LB_IP, listenPort, '/', { cookie: `AWSALB=${s3Cookie}` })).body, 's3', 'sticky to the runtime-added target');
  for (let i = 0; i < 4; i++) assert.equal(await withCookie(), mine, 'the first client is still on its target');

  // The other original target drains and leaves: no reload, the sticky client stays where it was.
  const [other, keep] = mine === 's1' ? [s2, s1] : [s1, s2];
  await apply(lbSet('st-3', sticky([target(keep), target(other, true), target(s3)])));
  await apply(lbSet('st-4', sticky([target(keep), target(s3)])));
  assert.equal(await reloads(), before, 'a drained and removed target of a sticky group is not a reload');
  assert.ok(!(await proc.runtime('show servers state')).includes(`t-reg-${other.name}`), 'the server is gone from the running worker');
  for (let i = 0; i < 4; i++) assert.equal(await withCookie(), mine, 'still on its target after the other left');

  // Its own target is deregistered: from then on (draining, as ALB) the client is sent to another one
  // and gets that one's cookie; then the target leaves.
  const slow = httpGet(LB_IP, listenPort, '/slow', { cookie: `AWSALB=${cookie}` });
  const stat = async (field: string) => Number(parseShowStat(await proc.runtime('show stat')).find((r) => r['svname'] === `t-reg-${keep.name}`)?.[field]);
  await waitUntil(async () => (await stat('scur')) > 0, 'the slow request in flight on its target', 5000);
  await apply(lbSet('st-5', sticky([target(keep, true), target(s3)])));
  assert.equal((await slow).body, `${mine} slow`, 'the request in flight when the drain began finished on its target');
  const moved = await httpGet(LB_IP, listenPort, '/', { cookie: `AWSALB=${cookie}` });
  assert.equal(moved.body, 's3', 'a draining target of a sticky group takes no request, its cookie notwithstanding');
  assert.equal(awsalb(moved.headers['set-cookie'] as string[] | undefined), s3Cookie, 'a new cookie for the new target');
  // At once, not after a deregistration delay: the idle connection HAProxy kept to the target is purged
  // quickly enough for `del server` (pool-purge-delay), so the removal is still no reload.
  await apply(lbSet('st-6', sticky([target(s3)])));
  assert.equal((await httpGet(LB_IP, listenPort, '/', { cookie: `AWSALB=${cookie}` })).body, 's3');
  assert.equal(await reloads(), before, 'no reload through all of it');
});

test('target group stickiness in a weighted forward: a client stays on the group it first hit (AWSALBTG), new clients follow the weights', async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [s1, s2, s3] = backends as [Backend, Backend, Backend];
  const groups = [group('blue', 1, [target(s1)]), group('green', 2, [target(s2)]), group('other', 3, [target(s3)])];
  const weighted = (version: string, blue: number, green: number) =>
    lbSet(version, groups, {
      // A higher-priority rule to `other` must not get the cookie: only the sticky rule's responses set it.
      rules: [
        { arn: 'r1', priority: 1, conditions: [{ field: 'path-pattern', values: ['/other'] }], targetGroupArn: `${TG}/other/3` },
        { arn: 'r2', priority: 2, conditions: [{ field: 'path-pattern', values: ['/*'] }], action: { type: 'forward', targetGroups: [{ targetGroupArn: `${TG}/blue/1`, weight: blue }, { targetGroupArn: `${TG}/green/2`, weight: green }], stickinessSeconds: 300 } },
      ],
    });
  await apply(weighted('tgs-1', 50, 50));
  await waitUntil(() => ['reg-s1', 'reg-s2', 'reg-s3'].every((r) => lastHealth(r)?.state === 'healthy'), 'every target healthy');
  const seen = new Map<string, string>();
  await waitUntil(async () => {
    const r = await httpGet(LB_IP, listenPort, '/');
    const v = awsalb(r.headers['set-cookie'] as string[] | undefined, 'AWSALBTG');
    assert.ok(v, `every response of the sticky rule sets AWSALBTG: ${JSON.stringify(r.headers['set-cookie'])}`);
    assert.match(String(r.headers['set-cookie']), /Max-Age=300; Path=\//);
    seen.set(r.body, v);
    return seen.size === 2;
  }, 'new clients reach both groups (50/50)');
  assert.notEqual(seen.get('s1'), seen.get('s2'), 'one value per group');
  const other = await httpGet(LB_IP, listenPort, '/other');
  assert.equal(other.body, 's3');
  assert.equal(awsalb(other.headers['set-cookie'] as string[] | undefined, 'AWSALBTG'), undefined, 'a rule without group stickiness sets no AWSALBTG');
  const green = seen.get('s2')!;
  for (let i = 0; i < 10; i++) assert.equal((await httpGet(LB_IP, listenPort, '/', { cookie: `AWSALBTG=${green}` })).body, 's2', 'the cookie keeps the client on its group');
  assert.equal((await httpGet(LB_IP, listenPort, '/other', { cookie: `AWSALBTG=${green}` })).body, 's3', 'a higher-priority rule still wins');
  // Shift every new client to blue (a canary rolled back): the sticky client stays on green, as ALB keeps it.
  await apply(weighted('tgs-2', 100, 0));
  for (let i = 0; i < 6; i++) assert.equal((await httpGet(LB_IP, listenPort, '/', { cookie: `AWSALBTG=${green}` })).body, 's2', 'still on green at weight 0');
  const fresh = new Set<string>();
  for (let i = 0; i < 6; i++) fresh.add((await httpGet(LB_IP, listenPort, '/', { cookie: 'AWSALBTG=0000000000000000' })).body);
  assert.deepEqual([...fresh], ['s1'], 'a new client (or an unknown value) follows the weights');
});

test("the load balancer's idle timeout closes idle client connections and answers 504 for a target silent that long", async (t) => {
  if (!haproxyBinary) return t.skip('haproxy is not installed');
  const [s1] = backends as [Backend];
  const set = lbSet('idle-1', [group('web', 1, [target(s1)])]);
  set.loadBalancers[0]!.idleTimeoutSeconds = 1;
  await apply(set);
  await waitUntil(() => lastHealth('reg-s1')?.state === 'healthy', 's1 healthy');
  // One request on a raw connection, then silence: HAProxy closes it after the idle timeout.
  const closedAfterMs = await new Promise<number>((resolve, reject) => {
    const s = net.connect(listenPort, LB_IP, () => s.write(`GET / HTTP/1.1\r\nHost: x\r\n\r\n`));
    let answeredAt = 0;
    s.on('data', () => (answeredAt ||= Date.now()));
    s.on('close', () => (answeredAt ? resolve(Date.now() - answeredAt) : reject(new Error('closed before an answer'))));
    s.on('error', reject);
    s.setTimeout(10_000, () => s.destroy(new Error('not closed within 10 s')));
  });
  assert.ok(closedAfterMs >= 800 && closedAfterMs < 3000, `an idle keep-alive connection closed after the 1 s idle timeout (${closedAfterMs} ms)`);
  const slow = await httpGet(LB_IP, listenPort, '/slow');
  assert.equal(slow.status, 504, 'a target silent for longer than the idle timeout (1.5 s > 1 s): 504, as ALB');
  set.version = 'idle-2';
  set.loadBalancers[0]!.idleTimeoutSeconds = 60;
  await apply(set);
  assert.deepEqual([(await httpGet(LB_IP, listenPort, '/slow')).body], ['s1 slow'], 'within the idle timeout');
});
