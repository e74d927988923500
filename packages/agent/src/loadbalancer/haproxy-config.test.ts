import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultHealthCheck, type HostLoadBalancer, type LoadBalancerHostSet } from '@stevedore/core';
import { expectLine, HaproxyConfigError, planApply, renderHaproxyConfig, runtimeAnswerOk, stickinessCookieKey } from './haproxy-config';
import { observe, parseShowStat, serverStateFile } from './haproxy-stats';
import { groupCookieValue } from './haproxy-actions';
import { parseShowProc } from './haproxy-process';

const OPTS = { hostIp: '127.0.0.60', statsSocket: '/run/x/admin.sock', serverStateFile: '/run/x/state', hardStopAfterSeconds: 3600 };
const TG = 'arn:aws:elasticloadbalancing:us-east-1:0:targetgroup';

function httpLb(over: Partial<HostLoadBalancer> = {}): HostLoadBalancer {
  return {
    arn: 'arn:aws:elasticloadbalancing:us-east-1:0:loadbalancer/app/web/1',
    name: 'web',
    type: 'application',
    listeners: [
      {
        arn: 'l1',
        protocol: 'HTTP',
        port: 80,
        rules: [
          { arn: 'r5', priority: 5, conditions: [{ field: 'host-header', values: ['*.api.example.com', 'api.example.com'] }], targetGroupArn: `${TG}/api/2` },
          { arn: 'r10', priority: 10, conditions: [{ field: 'path-pattern', values: ['/img/*'] }, { field: 'host-header', values: ['www.example.com'] }], targetGroupArn: `${TG}/img/3` },
        ],
        defaultTargetGroupArn: `${TG}/web/1`,
      },
    ],
    targetGroups: [
      {
        arn: `${TG}/web/1`,
        name: 'web',
        protocol: 'HTTP',
        healthCheck: { ...defaultHealthCheck('HTTP'), path: '/health', intervalSeconds: 2, timeoutSeconds: 1, healthyThresholdCount: 3, matcher: '200-204' },
        slowStartSeconds: 30,
        targets: [
          { registrationId: 'a', id: 'i1', address: '127.0.0.2', port: 32768, draining: false },
          { registrationId: 'b', id: 'i2', address: '127.0.0.3', port: 32769, draining: true },
        ],
      },
      { arn: `${TG}/api/2`, name: 'api', protocol: 'HTTP', healthCheck: defaultHealthCheck('HTTP'), slowStartSeconds: 0, targets: [] },
      { arn: `${TG}/img/3`, name: 'img', protocol: 'HTTP', healthCheck: { ...defaultHealthCheck('HTTP'), port: 9000 }, slowStartSeconds: 0, targets: [{ registrationId: 'c', id: 'i1', address: '127.0.0.2', port: 1, draining: false }] },
    ],
    errors: [],
    ...over,
  };
}

const set = (lbs: HostLoadBalancer[], version = 'v1'): LoadBalancerHostSet => ({ version, loadBalancers: lbs });

test('an application load balancer: frontend on the host IP, rules as ACLs in priority order, default last', () => {
  const { text, servers } = renderHaproxyConfig(set([httpLb()]), OPTS);
  const fe = text.slice(text.indexOf('frontend lb-web-80'), text.indexOf('\nbackend '));
  assert.match(fe, /mode http\n  bind 127\.0\.0\.60:80\n  timeout client 60s\n  timeout http-keep-alive 60s\n  option idle-close-on-response\n  option forwardfor/);
  const lines = fe.split('\n').map((l) => l.trim());
  const r5 = lines.indexOf("acl r5_0 req.hdr(host),field(1,:) -m reg -i '^.*\\.api\\.example\\.com$' '^api\\.example\\.com$'");
  const use5 = lines.indexOf('use_backend tg-api-2 if r5_0');
  const use10 = lines.indexOf('use_backend tg-img-3 if r10_0 r10_1');
  const dflt = lines.indexOf('default_backend tg-web-1');
  assert.ok(r5 >= 0 && use5 > r5 && use10 > use5 && dflt > use10, fe);
  assert.ok(lines.includes("acl r10_0 path -m reg '^/img/.*$'"));
  assert.match(text, /backend tg-web-1\n  mode http\n  balance roundrobin\n  timeout check 1s\n  timeout server 60s\n  option httpchk GET \/health\n  http-check expect rstatus '\^\(200\|201\|202\|203\|204\)\$'/);
  assert.match(text, /server t-a 127\.0\.0\.2:32768 check inter 2s fall 2 rise 3 weight 1 slowstart 30s\n/);
  assert.match(text, /server t-b 127\.0\.0\.3:32769 check inter 2s fall 2 rise 3 weight 0 slowstart 30s\n/, 'a draining target takes no new requests');
  assert.match(text, /server t-c 127\.0\.0\.2:1 check inter 30s fall 2 rise 5 weight 1 port 9000\n/);
  assert.match(text, /stats socket \/run\/x\/admin\.sock mode 600 level admin expose-fd listeners/);
  assert.match(text, /load-server-state-from-file global/);
  assert.deepEqual(servers.map((s) => `${s.backend}/${s.server}`).sort(), ['tg-img-3/t-c', 'tg-web-1/t-a', 'tg-web-1/t-b']);
  assert.equal(renderHaproxyConfig(set([httpLb()]), OPTS).text, text, 'pure: same set, same text');
});

test('a network load balancer is TCP end to end', () => {
  const lb: HostLoadBalancer = {
    arn: 'arn:nlb',
    name: 'db',
    type: 'network',
    listeners: [{ arn: 'l', protocol: 'TCP', port: 5432, rules: [], defaultTargetGroupArn: `${TG}/db/9` }],
    targetGroups: [{ arn: `${TG}/db/9`, name: 'db', protocol: 'TCP', healthCheck: defaultHealthCheck('TCP'), slowStartSeconds: 0, targets: [{ registrationId: 'x', id: 'i', address: '127.0.0.2', port: 40000, draining: false }] }],
    idleTimeoutSeconds: 350,
    errors: [],
  };
  const { text } = renderHaproxyConfig(set([lb]), OPTS);
  assert.match(text, /frontend lb-db-5432\n  mode tcp\n  bind 127\.0\.0\.60:5432\n  timeout client 350s\n  option tcplog\n/, "NLB's TCP idle timeout");
  assert.match(text, /backend tg-db-9\n  mode tcp\n  balance roundrobin\n  timeout check 10s\n  timeout server 350s\n  server t-x 127\.0\.0\.2:40000 check inter 30s fall 2 rise 5 weight 1\n/);
  assert.doesNotMatch(text, /httpchk|retry-on/);
  // A target whose host agent serves target checks: HAProxy asks it about the published port.
  const checked = structuredClone(lb);
  checked.targetGroups[0]!.targets[0]!.agentCheckPort = 51679;
  const next = renderHaproxyConfig(set([checked], 'v2'), OPTS);
  assert.match(next.text, /server t-x 127\.0\.0\.2:40000 check inter 30s fall 2 rise 5 weight 1 agent-check agent-addr 127\.0\.0\.2 agent-port 51679 agent-send 40000 agent-inter 30s\n/);
  const added = structuredClone(checked);
  added.targetGroups[0]!.targets.push({ registrationId: 'y', id: 'i', address: '127.0.0.3', port: 40001, draining: false, agentCheckPort: 51679 });
  const plan = planApply(next, renderHaproxyConfig(set([added], 'v3'), OPTS)) as { kind: string; commands: string[] };
  assert.equal(plan.kind, 'runtime');
  assert.deepEqual(plan.commands.slice(0, 3), ['add server tg-db-9/t-y 127.0.0.3:40001 check inter 30s fall 2 rise 5 agent-check agent-addr 127.0.0.3 agent-port 51679 agent-send 40001 agent-inter 30s weight 0', 'enable health tg-db-9/t-y', 'enable agent tg-db-9/t-y']);
});

test('matcher: one code or a regular expression of the codes', () => {
  assert.equal(expectLine('200'), 'http-check expect status 200');
  assert.equal(expectLine('200,302'), "http-check expect rstatus '^(200|302)$'");
});

test('apply plan: target changes go through the runtime API, anything else reloads', () => {
  const before = renderHaproxyConfig(set([httpLb()], 'v1'), OPTS);
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([httpLb()], 'v1'), OPTS)), { kind: 'none' });
  assert.deepEqual(planApply(undefined, before), { kind: 'reload' });
  const drained = httpLb();
  drained.targetGroups[0]!.targets[0]!.draining = true;
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([drained], 'v2'), OPTS)), {
    kind: 'runtime',
    commands: ['set server tg-web-1/t-a state drain', 'set weight tg-web-1/t-a 0'],
  });
  const added = httpLb();
  added.targetGroups[1]!.targets.push({ registrationId: 'n', id: 'i3', address: '127.0.0.4', port: 5, draining: false });
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([added], 'v3'), OPTS)), {
    kind: 'runtime',
    // Weight 0 and health forced down before it leaves maintenance: no request before `rise` checks pass.
    commands: [
      'add server tg-api-2/t-n 127.0.0.4:5 check inter 30s fall 2 rise 5 weight 0',
      'enable health tg-api-2/t-n',
      'enable server tg-api-2/t-n',
      'set server tg-api-2/t-n health down',
      'set weight tg-api-2/t-n 1',
    ],
  });
  const removed = httpLb();
  removed.targetGroups[0]!.targets.splice(1, 1);
  removed.targetGroups[0]!.targets[0]!.port = 40000;
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([removed], 'v4'), OPTS)), {
    kind: 'runtime',
    commands: ['set server tg-web-1/t-b state maint', 'del server tg-web-1/t-b', 'set server tg-web-1/t-a addr 127.0.0.2 port 40000'],
  });
  const addedDraining = httpLb();
  addedDraining.targetGroups[0]!.targets.push({ registrationId: 'd', id: 'i4', address: '127.0.0.5', port: 6, draining: true });
  const plan = planApply(before, renderHaproxyConfig(set([addedDraining], 'v5'), OPTS));
  assert.equal(plan.kind === 'runtime' && plan.commands.at(-1), 'set server tg-web-1/t-d state drain', 'a target draining from the start never gets weight');
  assert.ok(plan.kind === 'runtime' && plan.commands[0]!.startsWith('add server tg-web-1/t-d 127.0.0.5:6 check inter 2s fall 2 rise 3 slowstart 30s weight 0'));
  // A target group's settings change every server line: a reload.
  const slower = httpLb();
  slower.targetGroups[0]!.healthCheck = { ...slower.targetGroups[0]!.healthCheck, intervalSeconds: 9 };
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([slower], 'v6'), OPTS)), { kind: 'reload' });
  // Listener and rule changes reload.
  const ruled = httpLb();
  ruled.listeners[0]!.rules.pop();
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([ruled], 'v7'), OPTS)), { kind: 'reload' });
  // Two servers of one name: left to `haproxy -c` on a reload, which refuses it.
  const twice = httpLb();
  twice.targetGroups[0]!.targets.push({ ...twice.targetGroups[0]!.targets[0]! });
  assert.deepEqual(planApply(before, renderHaproxyConfig(set([twice], 'v8'), OPTS)), { kind: 'reload' });
});

test('runtime API answers: what each command says when it did its work', () => {
  assert.ok(runtimeAnswerOk('add server b/s 127.0.0.1:1 check weight 0', 'New server registered.\n'));
  assert.ok(!runtimeAnswerOk('add server b/s 127.0.0.1:1 check weight 0', "Already exists a server with the same name in backend."));
  assert.ok(runtimeAnswerOk('del server b/s', 'Server deleted.'));
  assert.ok(!runtimeAnswerOk('del server b/s', 'Server still has connections attached to it, cannot remove it.'));
  assert.ok(runtimeAnswerOk('set server b/s addr 127.0.0.1 port 2', "no need to change the addr, port changed from '1' to '2' by 'stats socket command'"));
  assert.ok(runtimeAnswerOk('set weight b/s 1', ''));
  assert.ok(!runtimeAnswerOk('set weight b/s 1', 'No such server.'));
});

test('server state for a reload: running servers kept, new ones start DOWN', () => {
  const dump = '1\n# be_id be_name srv_id srv_name srv_addr srv_op_state ...\n3 tg-web-1 1 t-a 127.0.0.2 2 0 1 1 6 15 3 4 6 0 0 0 - 32768 - 0 0 - - 0\n';
  const { servers } = renderHaproxyConfig(set([httpLb()]), OPTS);
  const text = serverStateFile(dump, servers);
  const lines = text.trim().split('\n');
  assert.equal(lines[0], '1');
  assert.ok(lines.includes('3 tg-web-1 1 t-a 127.0.0.2 2 0 1 1 6 15 3 4 6 0 0 0 - 32768 - 0 0 - - 0'));
  assert.ok(lines.includes('0 tg-web-1 0 t-b 127.0.0.3 0 0 0 0 0 1 0 0 6 0 0 0 - 32769 - 0 0 - - 0'));
  assert.ok(lines.includes('0 tg-img-3 0 t-c 127.0.0.2 0 0 1 1 0 1 0 0 6 0 0 0 - 1 - 0 0 - - 0'));
  assert.equal(lines.filter((l) => l.includes(' t-a ')).length, 1);
  assert.match(serverStateFile('', servers), /^1\n# be_id /);
});

test('HAProxy statistics as ELB target states', () => {
  const csv = '# pxname,svname,stot,status,check_status,check_code,hrsp_5xx,eresp,econ\ntg-web-1,t-a,10,UP,L7OK,200,1,0,2\ntg-web-1,BACKEND,10,UP,,,0,0,0\n';
  const rows = parseShowStat(csv);
  assert.equal(rows.length, 2);
  const { servers } = renderHaproxyConfig(set([httpLb()]), OPTS);
  const a = servers.find((s) => s.server === 't-a')!;
  const mem = { firstSeenAt: 0, everUp: false };
  const up = observe(rows[0]!, a, mem, 'lb1', 1000);
  assert.deepEqual([up.state, up.requests, up.errors, mem.everUp], ['healthy', 10, 3, true]);
  const row = (status: string, check: string, code = '') => ({ pxname: 'tg-web-1', svname: 't-a', status, check_status: check, check_code: code });
  assert.equal(observe(row('DOWN', 'INI'), a, { firstSeenAt: 0, everUp: false }, 'lb1', 999_999).state, 'initial');
  assert.equal(observe(row('DOWN 1/3', 'L7OK', '200'), a, { firstSeenAt: 0, everUp: false }, 'lb1', 999_999).state, 'initial', 'passing checks on the way up');
  assert.equal(observe(row('DOWN', 'L4CON'), a, { firstSeenAt: 0, everUp: false }, 'lb1', 1000).state, 'initial', 'within the unhealthy threshold');
  const failing = observe(row('DOWN', 'L4CON'), a, { firstSeenAt: 0, everUp: false }, 'lb1', 60_000);
  assert.deepEqual([failing.state, failing.reason], ['unhealthy', 'Target.FailedHealthChecks']);
  const code = observe(row('DOWN', 'L7STS', '500'), a, { firstSeenAt: 0, everUp: true }, 'lb1', 1000);
  assert.deepEqual([code.state, code.reason, code.description], ['unhealthy', 'Target.ResponseCodeMismatch', 'Health checks failed with these codes: [500]']);
  assert.equal(observe(row('DOWN', 'L7TOUT'), a, { firstSeenAt: 0, everUp: true }, 'lb1', 1000).reason, 'Target.Timeout');
  assert.equal(observe(row('UP 1/2', 'L7STS', '500'), a, { firstSeenAt: 0, everUp: true }, 'lb1', 1000).state, 'healthy', 'going down is still healthy');
  const agentDown = observe(row('DOWN (agent)', 'L4OK'), a, { firstSeenAt: 0, everUp: false }, 'lb1', 60_000);
  assert.deepEqual([agentDown.state, agentDown.description], ['unhealthy', 'Health checks failed (the container does not accept connections on its port)'], "docker-proxy accepted, the container did not: the agent's verdict");
  assert.equal(observe(row('DOWN (agent)', 'L4OK'), a, { firstSeenAt: 0, everUp: false }, 'lb1', 1000).state, 'initial', 'within the unhealthy threshold');
  const b = servers.find((s) => s.server === 't-b')!;
  assert.equal(observe(row('UP', 'L7OK'), b, { firstSeenAt: 0, everUp: true }, 'lb1', 1000).state, 'draining');
});

test('master CLI show proc', () => {
  const p = parseShowProc('#<PID>          <type>          <reloads>       <uptime>        <version>\n3262            master          2 [failed: 1]   0d00h20m17s     2.6.12\n# workers\n16997           worker          0               0d00h00m05s     2.6.12\n3359           worker          1               0d00h00m05s     2.6.12\n# programs\n');
  assert.deepEqual(p, { masterPid: 3262, reloads: 2, failed: 1, workers: [16997], allWorkers: [16997, 3359] });
  const afterFailure = parseShowProc('3262 master 3 [failed: 1] 0d\n# workers\n3359 worker 1 0d 2.6\n# programs\n');
  assert.deepEqual(afterFailure?.workers, [3359], 'after a failed reload the older worker is the one serving');
});

test('the renderer refuses every value that is not of its expected form, naming where it is (HaproxyConfigError)', () => {
  type Mutate = (lb: HostLoadBalancer) => void;
  const tg0 = (lb: HostLoadBalancer) => lb.targetGroups[0]!;
  const l0 = (lb: HostLoadBalancer) => lb.listeners[0]!;
  const cases: [string, Mutate | Partial<typeof OPTS> | { version: string }, RegExp][] = [
    ['target address with a directive', (lb) => void (tg0(lb).targets[0]!.address = '127.0.0.2:1\n  bind 0.0.0.0:22'), /^loadBalancers\[0\]\.targetGroups\[0\]\.targets\[0\]\.address: /],
    ['target address as host name', (lb) => void (tg0(lb).targets[0]!.address = 'evil.example.com'), /targets\[0\]\.address/],
    ['target port out of range', (lb) => void (tg0(lb).targets[1]!.port = 70000), /targets\[1\]\.port/],
    ['target port not an integer', (lb) => void (tg0(lb).targets[0]!.port = 80.5), /targets\[0\]\.port/],
    ['registration id with a space', (lb) => void (tg0(lb).targets[0]!.registrationId = 'a b'), /targets\[0\]\.registrationId/],
    ['load balancer name', (lb) => void (lb.name = 'web\nlisten x'), /^loadBalancers\[0\]\.name: /],
    ['target group name', (lb) => void (tg0(lb).name = 'web#x'), /targetGroups\[0\]\.name/],
    ['target group arn id', (lb) => void (tg0(lb).arn = `${TG}/web/1 x`), /targetGroups\[0\]\.arn/],
    ['listener port', (lb) => void (l0(lb).port = 0), /listeners\[0\]\.port/],
    ['listener protocol', (lb) => void ((l0(lb) as { protocol: string }).protocol = 'HTTPS\n'), /listeners\[0\]\.protocol/],
    ['rule priority', (lb) => void (l0(lb).rules[0]!.priority = -1), /rules\[0\]\.priority/],
    ['rule to an unknown target group', (lb) => void (l0(lb).rules[0]!.targetGroupArn = `${TG}/nope/9`), /rules\[0\]\.targetGroupArn/],
    ['default to an unknown target group', (lb) => void (l0(lb).defaultTargetGroupArn = 'x'), /listeners\[0\]\.defaultTargetGroupArn/],
    ['condition value with a newline', (lb) => void (l0(lb).rules[0]!.conditions[0]!.values[0] = 'a\n  use_backend x'), /rules\[0\]\.conditions\[0\]\.values\[0\]/],
    ['condition value not ASCII', (lb) => void (l0(lb).rules[1]!.conditions[0]!.values[0] = '/é'), /rules\[1\]\.conditions\[0\]\.values\[0\]/],
    ['condition field', (lb) => void ((l0(lb).rules[0]!.conditions[0] as { field: string }).field = 'cookie'), /conditions\[0\]\.field/],
    ['http-header name with a quote', (lb) => void (l0(lb).rules[0]!.conditions[0] = { field: 'http-header', httpHeaderName: "X-A'b", values: ['x'] }), /conditions\[0\]\.httpHeaderName/],
    ['health check path with a space', (lb) => void (tg0(lb).healthCheck = { ...tg0(lb).healthCheck, path: '/health HTTP/1.0' }), /targetGroups\[0\]\.healthCheck\.path/],
    ['health check path with a quote', (lb) => void (tg0(lb).healthCheck = { ...tg0(lb).healthCheck, path: "/x'y" }), /healthCheck\.path/],
    ['health check path not absolute', (lb) => void (tg0(lb).healthCheck = { ...tg0(lb).healthCheck, path: 'health' }), /healthCheck\.path/],
    ['health check matcher', (lb) => void (tg0(lb).healthCheck = { ...tg0(lb).healthCheck, matcher: '200; x' }), /healthCheck\.matcher/],
    ['health check interval', (lb) => void (tg0(lb).healthCheck = { ...tg0(lb).healthCheck, intervalSeconds: 0 }), /healthCheck\.intervalSeconds/],
    ['health check port', (lb) => void (tg0(lb).healthCheck = { ...tg0(lb).healthCheck, port: 99999 }), /healthCheck\.port/],
    ['slow start', (lb) => void (tg0(lb).slowStartSeconds = 1e9), /slowStartSeconds/],
    ['host IP', { hostIp: '127.0.0.60 ssl crt /etc/shadow' }, /^hostIp: /],
    ['stats socket path', { statsSocket: '/run/x/admin.sock level admin\n' }, /^statsSocket: /],
    ['server state file relative', { serverStateFile: '../state' }, /^serverStateFile: /],
    ['set version', { version: 'v1\nglobal' }, /^version: /],
  ];
  for (const [what, change, re] of cases) {
    const lb = httpLb();
    let opts = OPTS;
    let version = 'v1';
    if (typeof change === 'function') change(lb);
    else if ('version' in change) version = change.version;
    else opts = { ...OPTS, ...change };
    assert.throws(() => renderHaproxyConfig(set([lb], version), opts), (e: unknown) => e instanceof HaproxyConfigError && re.test(e.message), what);
  }
});

test('IPv6 addresses are bracketed; a quote in a path condition is a regex escape, never the end of the quoted pattern', () => {
  const lb = httpLb();
  lb.targetGroups[0]!.targets[0]!.address = 'fd00::2';
  lb.listeners[0]!.rules[1]!.conditions[0]!.values[0] = "/it's/*";
  const { text } = renderHaproxyConfig(set([lb]), { ...OPTS, hostIp: '::1', privileges: { user: 'haproxy', group: 'haproxy', chroot: '/var/lib/haproxy' } });
  assert.match(text, /bind \[::1\]:80\n/);
  assert.match(text, /server t-a \[fd00::2\]:32768 /);
  assert.ok(text.includes("acl r10_0 path -m reg '^/it\\x27s/.*$'"), text);
  assert.match(text, /^global\n  user haproxy\n  group haproxy\n  chroot \/var\/lib\/haproxy\n  stats socket /m);
});

test('HTTPS and TLS listeners: crt-list of role-named certificate files, the policy as TLS versions and ciphers, h2 by ALPN', () => {
  const pem = (n: string) => `-----BEGIN CERTIFICATE-----\nMII${n}\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMII${n}\n-----END PRIVATE KEY-----\n`;
  const lb = httpLb();
  lb.listeners.push({
    arn: 'l2',
    protocol: 'HTTPS',
    port: 443,
    tls: { sslPolicy: 'ELBSecurityPolicy-2016-08', certificates: [{ arn: 'c1', id: 'aa11', pem: pem('A') }, { arn: 'c2', id: 'bb22', pem: pem('B') }], http2: true },
    rules: [],
    defaultTargetGroupArn: `${TG}/web/1`,
  });
  const tcp: HostLoadBalancer = { ...httpLb(), arn: 'arn:nlb', name: 'nlb', type: 'network', listeners: [{ arn: 'l3', protocol: 'TLS', port: 8443, tls: { sslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06', certificates: [{ arn: 'c1', id: 'aa11', pem: pem('A') }], http2: false }, rules: [], defaultTargetGroupArn: `${TG}/db/9` }], targetGroups: [{ arn: `${TG}/db/9`, name: 'db', protocol: 'TCP', healthCheck: defaultHealthCheck('TCP'), slowStartSeconds: 0, targets: [] }] };
  const { text, files } = renderHaproxyConfig(set([lb, tcp]), { ...OPTS, certDir: '/run/x/certs' });
  const bind = /bind 127\.0\.0\.60:443 ssl crt-list (\/run\/x\/certs\/list-([0-9a-f]{16})\.txt) alpn h2,http\/1\.1 ssl-min-ver TLSv1\.0 ssl-max-ver TLSv1\.2 ciphers ECDHE-ECDSA-AES128-GCM-SHA256:\S+:AES256-SHA\n/.exec(text);
  assert.ok(bind, text);
  const [dflt, sni] = files.get(bind[1]!)!.trim().split('\n');
  assert.equal(dflt, `/run/x/certs/${bind[2]}-default.pem`, 'the default certificate first, named by its role');
  assert.match(sni!, new RegExp(`^/run/x/certs/${bind[2]}-[0-9a-f]{16}\\.pem$`), 'an SNI certificate named by its ARN');
  assert.equal(files.get(sni!), pem('B'));
  assert.match(text, /frontend lb-web-443\n  mode http\n[^]*X-Forwarded-Proto https\n/);
  assert.match(text, /frontend lb-nlb-8443\n  mode tcp\n  bind 127\.0\.0\.60:8443 ssl crt-list \S+ ssl-min-ver TLSv1\.3 ssl-max-ver TLSv1\.3 ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256\n/);
  const bad = (over: Partial<NonNullable<HostLoadBalancer['listeners'][0]['tls']>>, re: RegExp) => {
    const x = httpLb();
    x.listeners[0] = { ...x.listeners[0]!, protocol: 'HTTPS', tls: { sslPolicy: 'ELBSecurityPolicy-2016-08', certificates: [{ arn: 'c1', id: 'aa11', pem: pem('A') }], http2: true, ...over } };
    assert.throws(() => renderHaproxyConfig(set([x]), { ...OPTS, certDir: '/run/x/certs' }), (e: Error) => e instanceof HaproxyConfigError && re.test(e.message));
  };
  bad({ sslPolicy: 'nope' }, /tls\.sslPolicy/);
  bad({ certificates: [{ arn: 'c1', id: '../x', pem: pem('A') }] }, /certificates\[0\]\.id/);
  bad({ certificates: [{ arn: 'c1', id: 'aa11', pem: 'no key here' }] }, /certificates\[0\]\.pem/);
  assert.throws(() => renderHaproxyConfig(set([lb]), OPTS), /certDir/);
});

/** The text of one load balancer's configuration, and the index of a line (trimmed) that must be in it. */
function rendered(lb: HostLoadBalancer): { text: string; at: (line: string) => number } {
  const { text } = renderHaproxyConfig(set([lb]), OPTS);
  const lines = text.split('\n').map((l) => l.trim());
  return {
    text,
    at: (l: string) => {
      const i = lines.indexOf(l);
      assert.ok(i >= 0, `${l}\n---\n${text}`);
      return i;
    },
  };
}

test('every ALB condition as ACLs, and every action chosen by use_backend in priority order: weighted forward, redirect, fixed-response', () => {
  const lb = httpLb();
  lb.targetGroups[0]!.stickinessSeconds = 600;
  lb.targetGroups[1]!.algorithm = 'least_outstanding_requests';
  lb.listeners[0]!.rules = [
    { arn: 'r1', priority: 1, conditions: [{ field: 'http-header', httpHeaderName: 'X-Canary', values: ['yes', 'tr*e'] }, { field: 'http-request-method', values: ['POST', 'PUT'] }], action: { type: 'forward', targetGroups: [{ targetGroupArn: `${TG}/web/1`, weight: 90 }, { targetGroupArn: `${TG}/api/2`, weight: 10 }] } },
    { arn: 'r2', priority: 2, conditions: [{ field: 'query-string', values: ['v=2', '=x*'], queryStrings: [{ key: 'v', value: '2' }, { value: 'x*' }] }, { field: 'source-ip', values: ['10.0.0.0/8', 'fd00::/8'] }], targetGroupArn: `${TG}/img/3` },
    { arn: 'r3', priority: 3, conditions: [{ field: 'path-pattern', values: ['/old/*'] }], action: { type: 'redirect', protocol: 'HTTPS', host: '#{host}', port: '443', path: '/new/#{path}', query: '#{query}', statusCode: 'HTTP_301' } },
    { arn: 'r4', priority: 4, conditions: [{ field: 'path-pattern', values: ['/maintenance'] }], action: { type: 'fixed-response', statusCode: '503', contentType: 'application/json', messageBody: '{"down": "$HOME \\\\ soon"}\n' } },
  ];
  delete lb.listeners[0]!.defaultTargetGroupArn;
  lb.listeners[0]!.defaultAction = { type: 'redirect', protocol: 'HTTPS', host: '#{host}', port: '443', path: '/#{path}', query: '#{query}', statusCode: 'HTTP_302' };
  const { text, at } = rendered(lb);
  at("acl r1_0 req.hdr(X-Canary) -m reg -i '^yes$' '^tr.*e$'");
  at('acl r1_1 method POST PUT');
  at("acl r2_0 query -m reg -i '(^|&)v=2(&|$)'");
  at("acl r2_0 query -m reg -i '(^|&)[^=&]*=x.*(&|$)'");
  at('acl r2_1 src 10.0.0.0/8 fd00::/8');
  const draw = at('http-request set-var(txn.w_lb_web_80_r1) rand(100)');
  assert.ok(!text.includes('AWSALBTG') && !text.includes('txn.rule'), 'no group stickiness, no rule marks');
  const w90 = at('use_backend tg-web-1 if r1_0 r1_1 { var(txn.w_lb_web_80_r1) -m int lt 90 }');
  const w10 = at('use_backend tg-api-2 if r1_0 r1_1');
  const r2 = at('use_backend tg-img-3 if r2_0 r2_1');
  const r3 = at('use_backend act-web-80-r3 if r3_0');
  const r4 = at('use_backend act-web-80-r4 if r4_0');
  const dflt = at('default_backend act-web-80-default');
  assert.ok(draw < w90 && w90 < w10 && w10 < r2 && r2 < r3 && r3 < r4 && r4 < dflt, 'first match in priority order, whatever the action');
  at('http-request redirect location "https://%[req.hdr(host),field(1,:)]:443/new%[path]?%[query]" code 301 if { query -m len gt 0 }');
  at('http-request redirect location "https://%[req.hdr(host),field(1,:)]:443/new%[path]" code 301');
  at('http-request redirect location "https://%[req.hdr(host),field(1,:)]:443%[path]" code 302');
  at('http-request return status 503 content-type "application/json" string "{\\"down\\": \\"\\$HOME \\\\\\\\ soon\\"}\\n"');
  const key = stickinessCookieKey(`${TG}/web/1`);
  assert.match(text, new RegExp(`backend tg-web-1\\n  mode http\\n  balance roundrobin\\n  timeout check 1s\\n  timeout server 60s\\n  cookie AWSALB insert indirect nocache dynamic attr "Max-Age=600"\\n  dynamic-cookie-key ${key}\\n`));
  assert.match(text, /server t-a 127\.0\.0\.2:32768 check inter 2s fall 2 rise 3 weight 1 slowstart 30s\n/);
  assert.match(text, /backend tg-api-2\n  mode http\n  balance leastconn\n/);
  // A new or moved target of a sticky group goes through the runtime API too; setting the key again gives it its cookie.
  const more = structuredClone(lb);
  more.targetGroups[0]!.targets.push({ registrationId: 'z', id: 'i9', address: '127.0.0.9', port: 9, draining: false });
  const plan = planApply(renderHaproxyConfig(set([lb]), OPTS), renderHaproxyConfig(set([more], 'v2'), OPTS));
  assert.equal(plan.kind, 'runtime');
  assert.equal((plan as { commands: string[] }).commands[0], 'add server tg-web-1/t-z 127.0.0.9:9 check inter 2s fall 2 rise 3 slowstart 30s weight 0');
  assert.equal((plan as { commands: string[] }).commands.at(-1), `set dynamic-cookie-key backend tg-web-1 ${key}`);
  const moved = structuredClone(lb);
  moved.targetGroups[0]!.targets[0]!.port = 40000;
  assert.deepEqual((planApply(renderHaproxyConfig(set([lb]), OPTS), renderHaproxyConfig(set([moved], 'v3'), OPTS)) as { commands: string[] }).commands, ['set server tg-web-1/t-a addr 127.0.0.2 port 40000', `set dynamic-cookie-key backend tg-web-1 ${key}`]);
  assert.notEqual(stickinessCookieKey(`${TG}/api/2`), key, 'one key per target group');
  const bad = (mutate: (x: HostLoadBalancer) => void, re: RegExp) => {
    const x = structuredClone(lb);
    mutate(x);
    assert.throws(() => renderHaproxyConfig(set([x]), OPTS), (e: Error) => e instanceof HaproxyConfigError && re.test(e.message));
  };
  bad((x) => void ((x.listeners[0]!.rules[2]!.action as { host: string }).host = 'a"b'), /rules\[2\]\.action\.host/);
  bad((x) => void ((x.listeners[0]!.rules[2]!.action as { path: string }).path = '/#{nope}'), /rules\[2\]\.action\.path/);
  bad((x) => void ((x.listeners[0]!.rules[3]!.action as { statusCode: string }).statusCode = '302'), /rules\[3\]\.action\.statusCode/);
  bad((x) => void (x.listeners[0]!.rules[1]!.conditions[1]!.values[0] = '10.0.0.0/8 || 1'), /rules\[1\]\.conditions\[1\]\.values\[0\]/);
  bad((x) => void (x.listeners[0]!.rules[0]!.conditions[1]!.values[0] = 'get'), /rules\[0\]\.conditions\[1\]\.values\[0\]/);
});

test('target group stickiness in a weighted forward: the AWSALBTG cookie picks the group first, responses of that rule set it', () => {
  const lb = httpLb();
  lb.listeners[0]!.rules = [
    { arn: 'r1', priority: 1, conditions: [{ field: 'path-pattern', values: ['/img/*'] }], targetGroupArn: `${TG}/img/3` },
    { arn: 'r2', priority: 5, conditions: [{ field: 'path-pattern', values: ['/*'] }], action: { type: 'forward', targetGroups: [{ targetGroupArn: `${TG}/web/1`, weight: 0 }, { targetGroupArn: `${TG}/api/2`, weight: 10 }], stickinessSeconds: 600 } },
  ];
  const { text, at } = rendered(lb);
  const [web, api] = [groupCookieValue(`${TG}/web/1`), groupCookieValue(`${TG}/api/2`)];
  assert.match(web, /^[0-9a-f]{16}$/);
  const acl = at("acl r5_0 path -m reg '^/.*$'");
  const mark1 = at('http-request set-var(txn.rule) int(1) if !{ var(txn.rule) -m found } r1_0');
  const mark5 = at('http-request set-var(txn.rule) int(5) if !{ var(txn.rule) -m found } r5_0');
  at(`http-response add-header Set-Cookie "AWSALBTG=${web}; Max-Age=600; Path=/" if { var(txn.rule) -m int eq 5 } { be_name -m str tg-web-1 }`);
  at(`http-response add-header Set-Cookie "AWSALBTG=${api}; Max-Age=600; Path=/" if { var(txn.rule) -m int eq 5 } { be_name -m str tg-api-2 }`);
  const r1 = at('use_backend tg-img-3 if r1_0');
  const stuckWeb = at(`use_backend tg-web-1 if r5_0 { req.cook(AWSALBTG) -m str ${web} }`);
  const stuckApi = at(`use_backend tg-api-2 if r5_0 { req.cook(AWSALBTG) -m str ${api} }`);
  const fresh = at('use_backend tg-api-2 if r5_0');
  assert.ok(acl < mark1 && mark1 < mark5 && mark5 < r1 && r1 < stuckWeb && stuckWeb < stuckApi && stuckApi < fresh, 'ACLs, then marks in priority order, then use_backend: first match, cookie before weights');
  const bad = structuredClone(lb);
  (bad.listeners[0]!.rules[1]!.action as { stickinessSeconds: number }).stickinessSeconds = 0;
  assert.throws(() => renderHaproxyConfig(set([bad]), OPTS), /rules\[1\]\.action\.stickinessSeconds/);
});

test("idle timeout: each frontend its load balancer's, a target group shared by two load balancers the longest of theirs", () => {
  const a = { ...httpLb(), idleTimeoutSeconds: 5 };
  const b = { ...httpLb(), arn: 'arn:lb2', name: 'other', idleTimeoutSeconds: 4000, listeners: [{ ...httpLb().listeners[0]!, arn: 'l2', port: 81 }] };
  const { text } = renderHaproxyConfig(set([a, b]), OPTS);
  assert.match(text, /frontend lb-web-80\n  mode http\n  bind 127\.0\.0\.60:80\n  timeout client 5s\n  timeout http-keep-alive 5s\n/);
  assert.match(text, /frontend lb-other-81\n  mode http\n  bind 127\.0\.0\.60:81\n  timeout client 4000s\n  timeout http-keep-alive 4000s\n/);
  assert.match(text, /backend tg-web-1\n(  .*\n)*  timeout server 4000s\n/);
  const changed = renderHaproxyConfig(set([{ ...a, idleTimeoutSeconds: 6 }, b], 'v2'), OPTS);
  assert.deepEqual(planApply(renderHaproxyConfig(set([a, b]), OPTS), changed), { kind: 'reload' }, 'a load balancer attribute change reloads');
  assert.throws(() => renderHaproxyConfig(set([{ ...a, idleTimeoutSeconds: 0 }]), OPTS), /loadBalancers\[0\]\.idleTimeoutSeconds/);
});
