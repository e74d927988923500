import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT, startCluster, type TestCluster } from '../helpers/cluster';
import { docker, TEST_IMAGE } from '../helpers/docker';
import { awsCli } from '../helpers/aws-cli';
import { waitFor } from '../helpers/wait-for';

// The web console end to end: Debian's Chromium (headless, driven by
// playwright-core) against a control plane and one agent on the real
// dockerd. The console talks to the public API only, signing in the
// browser; every step waits for a page state with a deadline. Screenshots
// of the main pages go to test/artifacts/console/ (ignored by git).

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test/artifacts/console');
const IMAGE_V2 = 'stevedore-test/busybox:console-v2';
const FAMILY = 'console-web';
const SERVICE = 'web';
const STEP_MS = 90_000;

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let c: TestCluster;
let browser: Browser;
let base: string;
let reader: { accessKeyId: string; secretAccessKey: string };
/** The task the admin stopped from its page (the read-only key looks at it). */
let stoppedTask = '';

before(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  // A second tag of the test image: "a new image" for the deploy step, without a registry.
  await docker(['tag', TEST_IMAGE, IMAGE_V2]);
  hooks.after(() => docker(['rmi', IMAGE_V2]));
  c = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000 });
  base = `${c.endpoint}/console/`;
  await c.call('RegisterTaskDefinition', {
    family: FAMILY,
    containerDefinitions: [
      {
        name: 'app',
        image: TEST_IMAGE,
        // A line to find in the logs, then a web server that stops on SIGTERM.
        command: ['sh', '-c', 'echo console-hello-from-$HOSTNAME; exec httpd -f -p 8080'],
        memory: 16,
        portMappings: [{ containerPort: 8080, hostPort: 0 }],
        stopTimeout: 2,
      },
    ],
  });
  reader = (await c.callStevedore('CreateAccessKey', { roleName: 'read-only' })).accessKey;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  hooks.after(() => browser.close());
  console.log(`console screenshots: ${SHOTS}`);
});
afterEach(async () => {
  // Each test closes its pages when it passes: one still open failed, and leaves a picture of what it showed.
  for (const page of pages.splice(0)) {
    if (page.isClosed()) continue;
    console.log(`console test failed on ${page.url()}: screenshot ${SHOTS}/failed.png`);
    await shot(page, 'failed').catch(() => undefined);
    await page.context().close();
  }
});
after(async () => {
  for (const fn of hooks.fns.reverse()) await fn();
});

const pages: Page[] = [];

async function newPage(width = 1280, height = 900): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  pages.push(page);
  page.setDefaultTimeout(STEP_MS);
  // A page error is a console bug: fail loudly rather than time out on a blank page.
  page.on('pageerror', (e) => console.error(`console page error: ${e.message}`));
  return page;
}

async function signIn(page: Page, key: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Access key id').fill(key.accessKeyId);
  await page.getByLabel('Secret access key').fill(key.secretAccessKey);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

/** The service page's rollout line once it is in `phase` for `revision`. */
async function waitForRollout(page: Page, phase: string, revision: string): Promise<void> {
  await page.locator(`[data-phase="${phase}"][data-revision="${revision}"]`).waitFor({ state: 'visible', timeout: STEP_MS });
}

test('wrong credentials show an error and sign nobody in', async () => {
  const page = await newPage();
  await signIn(page, { accessKeyId: c.adminCredentials().accessKeyId, secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret!!' });
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', /Sign-in failed: .*signature/i);
  assert.equal(await page.getByRole('button', { name: 'Sign out' }).count(), 0);
  await page.context().close();
});

test('an admin signs in, sees the cluster, creates a service, follows its deployment, reads logs, deploys a new image and scales to 0', async () => {
  const page = await newPage();
  await signIn(page, c.adminCredentials());

  // Clusters: the cluster and its instance with capacity bars.
  await page.getByRole('heading', { name: `Cluster ${c.name}` }).waitFor();
  const instanceId = (await c.instances())[0].ec2InstanceId as string;
  await page.getByRole('link', { name: instanceId }).first().waitFor();
  assert.ok((await page.getByRole('meter').count()) >= 2, 'CPU and memory bars of the instance');
  await shot(page, 'clusters');

  // A cluster's page, then a service created from the registered task definition.
  await page.getByRole('link', { name: `Open cluster ${c.name}` }).click();
  await page.getByRole('heading', { name: `Cluster ${c.name}` }).waitFor();
  await page.getByRole('button', { name: 'Create service' }).click();
  const dialog = page.getByRole('dialog', { name: `Create a service in ${c.name}` });
  await dialog.getByLabel('Service name').fill(SERVICE);
  await dialog.getByLabel('Task definition (family:revision)').fill(`${FAMILY}:1`);
  await dialog.getByLabel('Desired count').fill('2');
  await dialog.getByLabel(/Enable ECS Exec/).check();
  await dialog.getByRole('button', { name: 'Create service' }).click();
  assert.equal(new URL(await waitForUrl(page, /\/services\/web$/)).pathname, `/console/clusters/${c.name}/services/${SERVICE}`);
  await waitForRollout(page, 'COMPLETED', `${FAMILY}:1`);
  await page.getByText('Running 2', { exact: true }).waitFor();
  // Events arrive without a reload (the page polls, faster while a deployment moves).
  await page.getByRole('region', { name: 'Events' }).getByText(`(service ${SERVICE}) has reached a steady state.`).first().waitFor();
  await page.getByRole('region', { name: 'Tasks by zone and instance' }).getByRole('link', { name: /^Task [0-9a-f]{8}/ }).nth(1).waitFor();
  await page.getByRole('figure').filter({ hasText: 'CPU utilization' }).waitFor();
  await shot(page, 'service');
  assert.deepEqual(await unnamedControls(page), [], 'every control of the service page has an accessible name');

  // A task's page and its logs.
  await page.getByRole('link', { name: /^Task [0-9a-f]{8}/ }).first().click();
  await page.getByRole('heading', { name: /^Task [0-9a-f]{8}/ }).waitFor();
  await page.getByRole('button', { name: 'Logs of app' }).click();
  await page.getByLabel('Logs of container app').getByText(/console-hello-from-/).first().waitFor();
  await page.locator('.logs[data-state="ended"]').waitFor();
  assert.equal((await page.getByLabel('Logs of container app').innerText()).match(/console-hello-from-/g)?.length, 1, 'the line the container printed once, shown once');
  const port = page.getByRole('link', { name: /→8080\/tcp/ });
  assert.match((await port.getAttribute('href')) ?? '', /^http:\/\/[\d.]+:\d+\/$/);
  await shot(page, 'task');

  // ECS Exec: a terminal in the container, following the page's size, with the exit code at the end.
  await page.getByRole('button', { name: 'Terminal in app' }).click();
  const terminal = page.getByRole('group', { name: 'Terminal of container app' });
  const termState = page.locator('.terminal-state');
  await page.locator('.terminal-state[data-phase="open"]').waitFor();
  // Logs with follow: a line written to the container's stdout from the terminal shows up in them, live.
  await page.getByLabel('Follow').check();
  await page.locator('.logs[data-state="open"]').waitFor();
  await terminal.click();
  await page.keyboard.type('echo console-followed-$((20+1)) > /proc/1/fd/1\n');
  await page.getByLabel('Logs of container app').getByText('console-followed-21').waitFor();
  await page.keyboard.type('stty size; echo $((6*7))\n');
  const screen = terminal.locator('.xterm-rows');
  await waitFor(async () => /^42\s*$/m.test(await screen.innerText()), { description: '42 in the terminal', timeoutMs: STEP_MS });
  // xterm's own <style> (font, colours) applies: the page's CSP admits it through the per-page nonce, not 'unsafe-inline'.
  assert.match(await page.evaluate<string>("getComputedStyle(document.querySelector('.xterm-rows')).fontFamily"), /DejaVu Sans Mono/);
  const sizes = async () => [...(await screen.innerText()).matchAll(/^(\d+) (\d+)\s*$/gm)].map((m) => [Number(m[1]), Number(m[2])] as const);
  const [rows, cols] = (await sizes())[0]!;
  assert.deepEqual([rows, cols], [Number(await terminal.getAttribute('data-rows')), Number(await terminal.getAttribute('data-cols'))], 'the remote TTY has the terminal\'s size');
  assert.ok(cols >= 80, `a laptop-wide terminal has ${cols} columns`);
  await shot(page, 'task-terminal');
  assert.deepEqual(await unnamedControls(page), [], 'every control of the task page, terminal open, has an accessible name');
  // A narrower window: the terminal refits and the remote TTY follows.
  await page.setViewportSize({ width: 700, height: 900 });
  await waitFor(async () => Number(await terminal.getAttribute('data-cols')) < cols, { description: 'the terminal refits to fewer columns', timeoutMs: STEP_MS });
  const narrowCols = Number(await terminal.getAttribute('data-cols'));
  await terminal.click();
  await page.keyboard.type('stty size\n');
  await waitFor(async () => (await sizes()).length >= 2, { description: 'a second stty size', timeoutMs: STEP_MS });
  assert.deepEqual((await sizes())[1], [rows, narrowCols], 'the remote TTY follows the narrower terminal');
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.keyboard.type('exit 3\n');
  await termState.getByText('The command exited with code 3.').waitFor();
  await page.getByRole('button', { name: 'Close terminal' }).click();
  // A second session ends when the task is stopped.
  await page.getByRole('button', { name: 'Terminal in app' }).click();
  await page.locator('.terminal-state[data-phase="open"]').waitFor();
  await page.getByRole('button', { name: 'Stop task' }).click();
  await page.getByRole('dialog', { name: /^Stop task/ }).getByRole('button', { name: 'Stop task' }).click();
  await termState.getByText(/stopped: the session is closed/).waitFor();
  // The stop reason and the container's exit code, once it stopped.
  await page.getByText(/^Stopped: UserInitiated Stopped from the web console/).waitFor();
  await waitFor(async () => /^\d+$/.test((await page.getByRole('row', { name: /^app / }).getByRole('cell').nth(4).innerText()).trim()), { description: 'an exit code', timeoutMs: STEP_MS });
  stoppedTask = page.url().slice(page.url().lastIndexOf('/') + 1);

  // Back to the service (the back button works), then a new image, rolled out live.
  await page.goBack();
  await page.getByRole('heading', { name: `Service ${SERVICE}` }).waitFor();
  await page.getByRole('button', { name: 'Deploy', exact: true }).click();
  const deploy = page.getByRole('dialog', { name: `Deploy to ${SERVICE}` });
  await deploy.getByLabel('Image', { exact: true }).fill(IMAGE_V2);
  await deploy.getByRole('button', { name: 'Deploy' }).click();
  await waitForRollout(page, 'IN_PROGRESS', `${FAMILY}:2`);
  await shot(page, 'service-rollout');
  await waitForRollout(page, 'COMPLETED', `${FAMILY}:2`);
  const svc = (await c.call('DescribeServices', { services: [SERVICE] })).services[0];
  assert.match(svc.taskDefinition, new RegExp(`${FAMILY}:2$`));
  const running = (await c.call('DescribeTasks', { tasks: (await c.call('ListTasks', { serviceName: SERVICE })).taskArns })).tasks;
  assert.deepEqual(
    running.map((t: { containers: { image: string }[] }) => t.containers[0]!.image),
    [IMAGE_V2, IMAGE_V2],
  );

  // Force a new deployment (same revision, new deployment id), then roll back to the revision before.
  const primary = page.locator('tr[data-deployment]').first();
  const before = await primary.getAttribute('data-deployment');
  await page.getByRole('button', { name: 'Force new deployment' }).click();
  await page.getByRole('dialog', { name: /^Replace every task of web/ }).getByRole('button', { name: 'Confirm' }).click();
  await waitFor(async () => (await primary.getAttribute('data-deployment')) !== before, { description: 'a new primary deployment', timeoutMs: STEP_MS });
  await page.getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('dialog', { name: /^Deploy the previous revision of web/ }).getByRole('button', { name: 'Confirm' }).click();
  await waitForRollout(page, 'COMPLETED', `${FAMILY}:1`);
  assert.match((await c.call('DescribeServices', { services: [SERVICE] })).services[0].taskDefinition, new RegExp(`${FAMILY}:1$`));

  // The two revisions side by side.
  await page.goto(`${base}task-definitions/${FAMILY}/2`);
  assert.match((await page.getByLabel('Task definition JSON').innerText()) ?? '', /"image": "stevedore-test\/busybox:console-v2"/);
  await page.getByLabel('Compare revision 2 with').selectOption('1');
  await page.getByLabel('Differences between revision 1 and 2').getByText(/^\+ +"image": "stevedore-test\/busybox:console-v2",/).waitFor();
  await shot(page, 'task-definition-diff');

  // Register from pasted JSON: the API's validation error is shown at its field (its line of the text).
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Task definitions' }).click();
  const pasted = (port: number) =>
    JSON.stringify({ family: 'console-pasted', containerDefinitions: [{ name: 'one', image: TEST_IMAGE, memory: 16, portMappings: [{ containerPort: port }] }] }, null, 2);
  await page.getByLabel(/Task definition JSON/).fill(pasted(65536));
  await page.getByRole('button', { name: 'Register' }).click();
  const at = page.locator('.error-at[data-field="containerDefinitions[0].portMappings[0].containerPort"]');
  await at.waitFor();
  assert.match((await at.textContent()) ?? '', /^line 10 \(containerDefinitions\[0\]\.portMappings\[0\]\.containerPort\): "containerPort": 65536$/);
  assert.equal(await page.getByLabel(/Task definition JSON/).getAttribute('aria-invalid'), 'true');
  // The caret is at that field, its line selected.
  assert.equal(await page.evaluate<string>('(() => { const a = document.activeElement; return a.value.slice(a.selectionStart, a.selectionEnd); })()'), '          "containerPort": 65536');
  await page.getByLabel(/Task definition JSON/).fill(pasted(80));
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('heading', { name: 'console-pasted:1' }).waitFor();

  // Secrets: names and metadata, never a value.
  await c.call('CreateSecret', { Name: 'console/db', Description: 'the console test\'s secret', SecretString: 'console-secret-value-never-shown' }, 'secretsmanager');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Secrets' }).click();
  await page.getByRole('row', { name: /console\/db/ }).waitFor();
  assert.doesNotMatch((await page.locator('main').textContent()) ?? '', /console-secret-value-never-shown/);

  // Schedules (EventBridge Scheduler's REST-JSON API, read from the browser): a disabled one, so it never runs here.
  const clusterArn = (await c.call('DescribeClusters', { clusters: [c.name] })).clusters[0].clusterArn;
  await c.callStevedore('CreateRole', { roleName: 'console-e2e', policyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['ecs:RunTask'], Resource: [clusterArn] }] } });
  await awsCli(c, [
    'scheduler', 'create-schedule', '--name', 'console-nightly', '--schedule-expression', 'cron(0 3 * * ? *)', '--state', 'DISABLED',
    '--flexible-time-window', 'Mode=OFF', '--target', JSON.stringify({ Arn: clusterArn, RoleArn: 'arn:aws:iam::000000000000:role/console-e2e', EcsParameters: { TaskDefinitionArn: `${FAMILY}:1`, TaskCount: 1 } }),
  ]);
  await page.getByRole('link', { name: 'Schedules' }).click();
  const row = page.getByRole('row', { name: /console-nightly/ });
  await row.waitFor();
  assert.match((await row.textContent()) ?? '', /DISABLED.*cron\(0 3 \* \* \? \*\)/);

  // A load balancer made with Debian's AWS CLI (placed on no host here: the page shows what the API says): listener, rule, target group, targets.
  const lbName = (x: string) => `${c.name}-${x}`.slice(-32).replace(/^-+/, '');
  const tgArn = (await awsCli(c, ['elbv2', 'create-target-group', '--name', lbName('tg'), '--protocol', 'HTTP', '--port', '8080', '--vpc-id', 'vpc-local', '--target-type', 'ip', '--health-check-path', '/health']))
    .TargetGroups[0].TargetGroupArn;
  const lbArn = (
    await awsCli(c, ['elbv2', 'create-load-balancer', '--name', lbName('lb'), '--subnets', 'subnet-a', 'subnet-b', '--tags', `Key=stevedore:cluster,Value=${c.name}`, 'Key=stevedore:placement,Value=attribute:role == console-none'])
  ).LoadBalancers[0].LoadBalancerArn;
  const listenerArn = (await awsCli(c, ['elbv2', 'create-listener', '--load-balancer-arn', lbArn, '--protocol', 'HTTP', '--port', '18480', '--default-actions', `Type=forward,TargetGroupArn=${tgArn}`])).Listeners[0].ListenerArn;
  await awsCli(c, ['elbv2', 'create-rule', '--listener-arn', listenerArn, '--priority', '5', '--conditions', 'Field=path-pattern,Values=/api/*', '--actions', `Type=forward,TargetGroupArn=${tgArn}`]);
  await awsCli(c, ['elbv2', 'register-targets', '--target-group-arn', tgArn, '--targets', 'Id=127.0.0.1,Port=9']);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Load balancers' }).click();
  await page.getByRole('link', { name: lbName('lb') }).click();
  await page.getByRole('heading', { name: 'HTTP:18480' }).waitFor();
  await page.getByText(`priority 5: path-pattern /api/* → forward to ${lbName('tg')}`).waitFor();
  await page.getByRole('heading', { name: new RegExp(`^${lbName('tg')} \\(HTTP:8080, health check /health\\)`) }).waitFor();
  await page.getByRole('listitem').filter({ hasText: '127.0.0.1:9' }).waitFor();
  await shot(page, 'load-balancer');

  // Scale to 0.
  await page.goto(`${base}clusters/${c.name}/services/${SERVICE}`);
  await page.getByRole('button', { name: 'Scale' }).click();
  const scale = page.getByRole('dialog', { name: `Scale ${SERVICE}` });
  await scale.getByLabel('Desired count').fill('0');
  await scale.getByRole('button', { name: 'Scale' }).click();
  await page.getByText('Desired 0', { exact: true }).waitFor();
  await page.getByText('Running 0', { exact: true }).waitFor();
  await waitFor(async () => (await c.containers()).filter((x) => x.state === 'running').length === 0, { description: 'no running containers', timeoutMs: STEP_MS });

  // Auto scaling: the service's scalable target and policy (a step policy with no alarm: it never acts here).
  const scalable = { ServiceNamespace: 'ecs', ResourceId: `service/${c.name}/${SERVICE}`, ScalableDimension: 'ecs:service:DesiredCount' };
  await c.call('RegisterScalableTarget', { ...scalable, MinCapacity: 0, MaxCapacity: 2 }, 'AnyScaleFrontendService');
  await c.call('PutScalingPolicy', { ...scalable, PolicyName: 'console-steps', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] } }, 'AnyScaleFrontendService');
  const scaling = page.getByRole('region', { name: 'Auto scaling' });
  await scaling.getByText('Capacity 0–2').waitFor();
  await scaling.getByText(/^console-steps \(StepScaling\)/).waitFor();

  // Drain the instance, then make it ACTIVE again.
  const instance = (await c.instances())[0].containerInstanceArn as string;
  await page.goto(`${base}clusters/${c.name}/instances/${instance.slice(instance.lastIndexOf('/') + 1)}`);
  await page.getByRole('button', { name: 'Drain' }).click();
  await page.getByRole('dialog', { name: /^Drain / }).getByRole('button', { name: 'Drain' }).click();
  await page.locator('.summary').getByText('DRAINING', { exact: true }).waitFor();
  assert.equal((await c.instances())[0].status, 'DRAINING');
  await page.getByRole('button', { name: 'Activate' }).click();
  await page.getByRole('dialog', { name: /ACTIVE again/ }).getByRole('button', { name: 'Confirm' }).click();
  await page.locator('.summary').getByText('ACTIVE', { exact: true }).waitFor();
  assert.equal((await c.instances())[0].status, 'ACTIVE');

  // Keyboard only: the first Tab reaches "Skip to content"; a dialog opens with Enter, has focus, and Escape closes it.
  await page.goto(`${base}clusters/${c.name}/services/${SERVICE}`);
  await page.getByRole('button', { name: 'Scale' }).waitFor();
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate<string | undefined>('document.activeElement?.textContent?.trim()'), 'Skip to content');
  await page.getByRole('button', { name: 'Scale' }).focus();
  await page.keyboard.press('Enter');
  const scaleDialog = page.getByRole('dialog', { name: `Scale ${SERVICE}` });
  await scaleDialog.waitFor();
  assert.equal(await page.evaluate<boolean>("Boolean(document.activeElement?.closest('dialog'))"), true, 'focus moves into the dialog');
  await page.keyboard.press('Escape');
  await scaleDialog.waitFor({ state: 'hidden' });

  // Phone width: the same page still renders its actions, and nothing is wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: 'Scale' }).waitFor();
  assert.ok(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth'), 'no horizontal scrolling of the page at phone width');
  await shot(page, 'service-phone');
  await page.context().close();
});

test('a read-only key sees the console without any action button', async () => {
  const page = await newPage();
  await signIn(page, reader);
  await page.getByRole('heading', { name: `Cluster ${c.name}` }).waitFor();
  await page.getByText('read-only', { exact: true }).waitFor();
  await page.goto(`${base}clusters/${c.name}`);
  await page.getByRole('heading', { name: 'Services' }).waitFor();
  await page.getByRole('link', { name: SERVICE, exact: true }).waitFor();
  // Its row: status, desired, running, pending, revision and rollout state.
  await page.getByRole('row', { name: new RegExp(`^${SERVICE} ACTIVE 0 0 0 ${FAMILY}:1 COMPLETED$`) }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Create service' }).count(), 0);
  await page.goto(`${base}clusters/${c.name}/services/${SERVICE}`);
  await page.getByRole('heading', { name: 'Deployments' }).waitFor();
  for (const name of ['Deploy', 'Scale', 'Force new deployment', 'Roll back']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
  const instance = (await c.instances())[0].containerInstanceArn as string;
  await page.goto(`${base}clusters/${c.name}/instances/${instance.slice(instance.lastIndexOf('/') + 1)}`);
  await page.getByRole('heading', { name: 'Attributes' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^(Drain|Activate)$/ }).count(), 0);
  // A task's page: neither stop nor a terminal (the task ran with ECS Exec; this key may not call ExecuteCommand).
  await page.goto(`${base}clusters/${c.name}/tasks/${stoppedTask}`);
  await page.getByRole('button', { name: 'Logs of app' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^(Stop task|Terminal in app)$/ }).count(), 0);
  await page.goto(`${base}task-definitions`);
  await page.getByRole('link', { name: FAMILY }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Register' }).count(), 0);
  await page.context().close();
});

test('stevedore console prints a one-time sign-in URL: it signs in once and fails the second time', async () => {
  const r = await c.cli(['console', '--no-browser']);
  assert.equal(r.code, 0, r.stderr);
  const url = r.stdout.trim();
  assert.match(url, new RegExp(`^${c.endpoint}/console/signin#token=svs1\\.`));
  const first = await newPage();
  await first.goto(url);
  await first.getByRole('heading', { name: `Cluster ${c.name}` }).waitFor();
  assert.doesNotMatch(first.url(), /token=/, 'the token leaves the address bar');
  await first.getByRole('button', { name: 'Sign out' }).click();
  await first.getByRole('button', { name: 'Sign in' }).waitFor();
  await first.context().close();
  const second = await newPage();
  await second.goto(url);
  const alert = second.getByRole('alert');
  await alert.waitFor();
  assert.match((await alert.textContent()) ?? '', /already used/);
  await second.context().close();
});

/**
 * Buttons, links and form fields with no accessible name (aria-label,
 * aria-labelledby, a label, their text or title), each as the start of its
 * HTML. Run in the page (a string: the tests compile without the DOM's types).
 */
const UNNAMED_CONTROLS = `(() => {
  const out = [];
  for (const el of document.querySelectorAll('main button, main a[href], main input, main select, main textarea, header button, header a[href]')) {
    if (el.closest('[aria-hidden="true"]') || (el.tagName === 'INPUT' && el.type === 'hidden')) continue;
    const labelled = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).map((id) => (document.getElementById(id) || {}).textContent || '').join(' ');
    const labels = [...(el.labels || [])].map((l) => l.textContent || '').join(' ');
    const name = [el.getAttribute('aria-label'), labelled, labels, el.tagName === 'INPUT' ? '' : el.textContent, el.getAttribute('title')].find((v) => v && v.trim());
    if (!name) out.push(el.outerHTML.slice(0, 120));
  }
  return out;
})()`;

const unnamedControls = (page: Page) => page.evaluate<string[]>(UNNAMED_CONTROLS);

async function waitForUrl(page: Page, re: RegExp): Promise<string> {
  await page.waitForURL(re, { timeout: STEP_MS });
  return page.url();
}
