import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { existsSync } from 'node:fs';
import { freePort, startCluster, type TestCluster } from '../helpers/cluster';
import { AWS_CLI, awsCli } from '../helpers/aws-cli';
import { TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// A gateway load balancer end to end, built with Debian's AWS CLI: agent 0
// (127.0.26.1, role=lb) runs HAProxy; agent 1 (127.0.26.2, role=work) runs a
// web service and an inspection appliance service. Requests to the gateway
// listener pass through the appliance (which adds `X-Inspected-By`) and come
// back to the gateway's return port on 127.0.26.1, which forwards them to
// the web service.
//
// The appliance uses host networking: the test's "hosts" are loopback
// addresses, which a container on Docker's bridge cannot reach (on real
// hosts a bridge-mode appliance reaches the load balancer's host IP).

const LB_IP = '127.0.26.1';
const WORK_IP = '127.0.26.2';
const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let listenPort: number;
let returnPort: number;
let appliancePort: number;
let webTg: string;
let idsTg: string;
let gwArn: string;

/**
 * The appliance, one connection at a time (busybox `nc -ll -e`): read the
 * request line and headers, and pass the request on to the gateway's return
 * address (the `X-Stevedore-Gateway-Return` header) with a header of its own.
 * Health checks are TCP connects, which it answers by exiting.
 */
const APPLIANCE_SCRIPT = `#!/bin/sh
read -r method uri proto || exit 0
cr=$(printf '\\r')
ret=""
hdrs=""
while IFS= read -r line; do
  line=\${line%"$cr"}
  [ -z "$line" ] && break
  case "$line" in
    [Xx]-[Ss]tevedore-[Gg]ateway-[Rr]eturn:*) ret=\${line#*: } ;;
    [Cc]onnection:*) continue ;;
  esac
  hdrs="$hdrs$line
"
done
[ -n "$ret" ] || exit 0
{
  printf '%s %s HTTP/1.0\\r\\n' "$method" "$uri"
  printf '%s' "$hdrs" | while IFS= read -r h; do printf '%s\\r\\n' "$h"; done
  printf 'X-Inspected-By: ids\\r\\nConnection: close\\r\\n\\r\\n'
} | nc "\${ret%:*}" "\${ret##*:}"
`;

const ON_WORK_HOST = [{ type: 'memberOf', expression: 'attribute:role == work' }];

before(async () => {
  assert.ok(existsSync(AWS_CLI), `${AWS_CLI} is missing: apt-get install awscli`);
  c = await startCluster({ agents: 2, test: hooks, readyTimeoutMs: 60_000, hostIp: (i) => `127.0.26.${1 + i}`, attributes: (i) => ({ role: i === 0 ? 'lb' : 'work' }) });
  await c.call('UpdateClusterSettings', { cluster: c.name, settings: [{ name: 'stevedore:allowHostNetwork', value: 'enabled' }] });
  [listenPort, returnPort, appliancePort] = [await freePort(LB_IP), await freePort(LB_IP), await freePort('0.0.0.0')];
  // The target: shows the headers it received.
  const web = [
    'mkdir -p /www/cgi-bin',
    'echo ok > /www/health',
    `printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n"\\necho "inspected=$HTTP_X_INSPECTED_BY token=$HTTP_X_STEVEDORE_GATEWAY_TOKEN"\\n' > /www/cgi-bin/headers`,
    'busybox chmod 755 /www/cgi-bin/headers',
    'exec httpd -f -p 8080 -h /www',
  ].join('; ');
  await c.call('RegisterTaskDefinition', {
    family: 'gw-web',
    containerDefinitions: [{ name: 'web', image: TEST_IMAGE, command: ['sh', '-c', web], memory: 24, portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
  });
  await c.call('RegisterTaskDefinition', {
    family: 'gw-ids',
    networkMode: 'host',
    containerDefinitions: [
      {
        name: 'ids',
        image: TEST_IMAGE,
        environment: [{ name: 'APPLIANCE', value: APPLIANCE_SCRIPT }],
        command: ['sh', '-c', `printf '%s' "$APPLIANCE" > /appliance.sh && busybox chmod 755 /appliance.sh && exec nc -ll -p ${appliancePort} -e /appliance.sh`],
        memory: 24,
        portMappings: [{ containerPort: appliancePort }],
        stopTimeout: 2,
      },
    ],
  });
});
after(async () => {
  for (const fn of hooks.fns) await fn();
});

const aws = (args: string[]) => awsCli(c, args);
const name = (x: string) => `${c.name}-${x}`.slice(-32).replace(/^-+/, '');

function get(port: number, path = '/cgi-bin/headers'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: LB_IP, port, path, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/** Polled through the JSON form: each AWS CLI run costs a second of Python start-up. */
async function targetStates(arn: string): Promise<string[]> {
  return (await c.callStevedore('DescribeTargetHealth', { TargetGroupArn: arn })).TargetHealthDescriptions.map((d: any) => d.TargetHealth.State);
}

test('aws elbv2 builds a gateway load balancer: GENEVE appliance group, gateway listener with its destination as a tag', async () => {
  const health = ['--healthy-threshold-count', '2', '--unhealthy-threshold-count', '2'];
  webTg = (await aws(['elbv2', 'create-target-group', '--name', name('web'), '--protocol', 'HTTP', '--port', '8080', '--vpc-id', 'vpc-local', '--health-check-path', '/health', ...health])).TargetGroups[0].TargetGroupArn;
  const ids = (await aws(['elbv2', 'create-target-group', '--name', name('ids'), '--protocol', 'GENEVE', '--port', '6081', '--vpc-id', 'vpc-local', '--health-check-protocol', 'TCP', ...health])).TargetGroups[0];
  idsTg = ids.TargetGroupArn;
  assert.equal(ids.Protocol, 'GENEVE');
  // 1 s checks (a Stevedore departure the AWS CLI's own checks refuse: its minimum is 5 s), through the JSON form.
  for (const arn of [webTg, idsTg]) await c.callStevedore('ModifyTargetGroup', { TargetGroupArn: arn, HealthCheckIntervalSeconds: 1, HealthCheckTimeoutSeconds: 1 });
  const attrs = await aws(['elbv2', 'modify-target-group-attributes', '--target-group-arn', idsTg, '--attributes', 'Key=deregistration_delay.timeout_seconds,Value=0', 'Key=stickiness.enabled,Value=true', 'Key=stickiness.type,Value=source_ip_dest_ip']);
  assert.deepEqual(
    attrs.Attributes.filter((a: any) => a.Key.startsWith('stickiness.')).map((a: any) => `${a.Key}=${a.Value}`).sort(),
    ['stickiness.enabled=true', 'stickiness.type=source_ip_dest_ip'],
  );
  const lb = (await aws(['elbv2', 'create-load-balancer', '--name', name('gw'), '--type', 'gateway', '--subnets', 'subnet-a', '--tags', `Key=stevedore:cluster,Value=${c.name}`, 'Key=stevedore:placement,Value=attribute:role == lb'])).LoadBalancers[0];
  gwArn = lb.LoadBalancerArn;
  assert.equal(lb.Type, 'gateway');
  assert.match(gwArn, /:loadbalancer\/gwy\//);
  const listener = (
    await aws(['elbv2', 'create-listener', '--load-balancer-arn', gwArn, '--port', String(listenPort), '--default-actions', `Type=forward,TargetGroupArn=${idsTg}`,
      '--tags', `Key=stevedore:destination,Value=${webTg}`, `Key=stevedore:return-port,Value=${returnPort}`])
  ).Listeners[0];
  assert.equal(listener.Protocol, 'GENEVE');
  assert.equal(listener.Port, listenPort);
  await assert.rejects(aws(['elbv2', 'create-listener', '--load-balancer-arn', gwArn, '--port', String(listenPort + 1), '--default-actions', `Type=forward,TargetGroupArn=${idsTg}`, '--tags', `Key=stevedore:destination,Value=${webTg}`]), /TooManyListeners/);
  const used = (await aws(['elbv2', 'describe-target-groups', '--load-balancer-arn', gwArn])).TargetGroups.map((t: any) => t.TargetGroupArn).sort();
  assert.deepEqual(used, [webTg, idsTg].sort(), 'the gateway forwards to its appliances and to its destination');

  for (const [svc, family, tg, container, port] of [['web', 'gw-web', webTg, 'web', 8080], ['ids', 'gw-ids', idsTg, 'ids', appliancePort]] as const) {
    await c.call('CreateService', { serviceName: svc, taskDefinition: family, desiredCount: 1, placementConstraints: ON_WORK_HOST, loadBalancers: [{ targetGroupArn: tg, containerName: container, containerPort: port }] });
  }
  await waitFor(async () => (await targetStates(webTg)).join() === 'healthy' && (await targetStates(idsTg)).join() === 'healthy', {
    description: 'the web task and the appliance healthy',
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  const described = (await aws(['elbv2', 'describe-target-health', '--target-group-arn', idsTg])).TargetHealthDescriptions;
  assert.deepEqual(described.map((d: any) => d.TargetHealth.State), ['healthy'], 'the appliance, health-checked, as the AWS CLI reads it');
  const state = (await aws(['elbv2', 'describe-load-balancers', '--load-balancer-arns', gwArn])).LoadBalancers[0].State.Code;
  assert.equal(state, 'active');
});

test('requests pass through the appliance: the target sees the header it added, and no gateway token', async () => {
  const r = await get(listenPort);
  assert.equal(r.status, 200, r.body);
  assert.equal(r.body, 'inspected=ids token=');
  // Skipping the appliances by calling the return port directly is refused.
  assert.equal((await get(returnPort)).status, 403);
  assert.ok((await c.call('DescribeServices', { services: ['ids'] })).services[0].events.some((e: any) => /registered 1 targets in \(target-group /.test(e.message)));
});

test('with the appliance stopped the gateway fails closed; stevedore.fail_open.enabled sends traffic straight to the target', async () => {
  await c.call('UpdateService', { service: 'ids', desiredCount: 0 });
  await waitFor(async () => (await targetStates(idsTg)).length === 0, { description: 'the appliance deregistered', timeoutMs: 30_000, intervalMs: 250 });
  await waitFor(async () => (await get(listenPort)).status === 503, { description: 'no appliance: 503', timeoutMs: 15_000, intervalMs: 250 });
  const r = await get(listenPort);
  assert.equal(r.status, 503, 'fails closed: nothing reaches the target uninspected');
  await aws(['elbv2', 'modify-load-balancer-attributes', '--load-balancer-arn', gwArn, '--attributes', 'Key=stevedore.fail_open.enabled,Value=true']);
  const open = await waitFor(async () => {
    const x = await get(listenPort);
    return x.status === 200 ? x : undefined;
  }, { description: 'fail-open: requests reach the target', timeoutMs: 15_000, intervalMs: 250 });
  assert.equal(open.body, 'inspected= token=', 'bypassed the appliances, and no token leaks to the target');
});
