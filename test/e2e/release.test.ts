import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, startCluster, type TestCluster } from '../helpers/cluster';
import { inspectContainer, TEST_IMAGE } from '../helpers/docker';
import { waitFor } from '../helpers/wait-for';

// The release as an operator gets it (npm run package): Debian packages and
// bundles that run with nothing but node; an agent upgraded under running
// tasks; a control plane restored from an online backup; both pairings of
// adjacent releases (agent N+1 with control plane N, agent N with control
// plane N+1). One cluster, run from the release bundles (control plane of
// release N from its .deb, agent of N, then N+1), shared by the tests in order.

const execFileP = promisify(execFile);
const N = '90.0.0';
const N1 = '90.0.1';

const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
let work: string;
let commit: string;
/** Release N+1's commit: the same code, unless the checkout changed between the two builds. */
let commitN1: string;
/** Release directories (package.mjs's staging dir, as in the tarball). */
let releaseN: string;
let releaseN1: string;
/** The control-plane .deb of release N, unpacked with dpkg-deb -x. */
let cpRoot: string;
let agentRelease: string;
let c: TestCluster;
/** The control plane's program: release N's from its .deb, until the last test upgrades it. */
let controlPlaneBin: () => string;

const deb = (name: string) => path.join(work, 'n', `${name}_${N}_amd64.deb`);
const cpBin = () => path.join(cpRoot, 'usr/lib/stevedore/control-plane/main.js');

function runNode(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; stderr: string }> {
  // cwd and the bundles' own directories have no node_modules above them: only the release's files are there to load.
  return execFileP(process.execPath, args, { cwd: work, env: { PATH: process.env.PATH, ...env }, timeout: 60_000 });
}

async function packageRelease(version: string, out: string, ...extra: string[]): Promise<string> {
  await execFileP(process.execPath, [path.join(REPO_ROOT, 'scripts/package/package.mjs'), '--version', version, '--out', out, ...extra], { cwd: REPO_ROOT, timeout: 180_000 });
  return path.join(out, `stevedore-${version}-linux-x64`);
}

before(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'stevedore-release-'));
  hooks.after(() => fs.rmSync(work, { recursive: true, force: true }));
  // Two releases of the same code that differ in their version, as an upgrade sees them.
  releaseN = await packageRelease(N, path.join(work, 'n'));
  releaseN1 = await packageRelease(N1, path.join(work, 'n1'), '--no-deb');
  const commitOf = (dir: string) => /^commit=(.*)$/m.exec(fs.readFileSync(path.join(dir, 'BUILD-INFO'), 'utf8'))![1]!;
  commit = commitOf(releaseN);
  commitN1 = commitOf(releaseN1);
  cpRoot = path.join(work, 'cp-root');
  await execFileP('dpkg-deb', ['-x', deb('stevedore-control-plane'), cpRoot]);
  agentRelease = releaseN;
  controlPlaneBin = cpBin;
  c = await startCluster({
    agents: 1,
    test: hooks,
    readyTimeoutMs: 60_000,
    hostIp: (i) => `127.0.30.${2 + i}`,
    bins: { controlPlane: () => controlPlaneBin(), agent: () => path.join(agentRelease, 'lib/agent/main.js') },
  });
  await c.call('RegisterTaskDefinition', {
    family: 'sleeper',
    containerDefinitions: [{ name: 'app', image: TEST_IMAGE, command: ['sleep', '3600'], memory: 16, stopTimeout: 2 }],
  });
  await c.call('CreateService', { serviceName: 'web', taskDefinition: 'sleeper', desiredCount: 2 });
  await waitFor(
    async () => {
      const s = (await c.call('DescribeServices', { services: ['web'] })).services[0];
      return s.runningCount === 2 && s.pendingCount === 0 ? s : undefined;
    },
    { description: 'service web steady with 2 RUNNING', timeoutMs: 90_000, intervalMs: 250 },
  );
});
after(async () => {
  for (const fn of hooks.fns.reverse()) await fn();
});

/** Running task containers: task ARN -> container id and StartedAt. */
async function running(): Promise<Map<string, { id: string; startedAt: string }>> {
  const out = new Map<string, { id: string; startedAt: string }>();
  for (const x of await c.containers()) {
    if (x.state !== 'running') continue;
    out.set(x.labels['stevedore.task'] ?? '', { id: x.id, startedAt: (await inspectContainer(x.id)).State.StartedAt as string });
  }
  return out;
}

async function serviceTasks(): Promise<string[]> {
  return ((await c.call('ListTasks', { serviceName: 'web' })).taskArns as string[]).sort();
}

async function versionInfo(): Promise<any> {
  const inst = await c.instanceOf(0);
  return inst?.agentConnected ? inst.versionInfo : undefined;
}

test('the packages: fields, files, conffiles; each program runs from its unpacked package with nothing but node and prints the same version line', async () => {
  const field = async (d: string, f: string) => (await execFileP('dpkg-deb', ['--field', d, f])).stdout.trim();
  const nodeMajor = Number(process.versions.node.split('.')[0]);
  const expect: Record<string, { depends: RegExp; bin: string; program: string; files: string[] }> = {
    'stevedore-control-plane': {
      // The native addon is built for this Node major's ABI.
      depends: new RegExp(`^nodejs \\(>= ${nodeMajor}\\), nodejs \\(<< ${nodeMajor + 1}\\)`),
      bin: 'stevedore-control-plane',
      program: 'control-plane',
      files: ['./usr/lib/stevedore/control-plane/better_sqlite3.node', './usr/lib/stevedore/control-plane/proto/stevedore/agent/v1/dispatcher.proto', './lib/systemd/system/stevedore-control-plane.service', './etc/stevedore/control-plane.env'],
    },
    'stevedore-agent': {
      depends: /^nodejs \(>= 20\)$/,
      bin: 'stevedore-agent',
      program: 'agent',
      files: ['./usr/lib/stevedore/agent/proto/stevedore/agent/v1/dispatcher.proto', './lib/systemd/system/stevedore-agent.service', './etc/stevedore/agent.env'],
    },
    'stevedore-cli': { depends: /^nodejs \(>= 20\)$/, bin: 'stevedore', program: 'cli', files: [] },
  };
  for (const [name, e] of Object.entries(expect)) {
    const d = deb(name);
    assert.equal(await field(d, 'Package'), name);
    assert.equal(await field(d, 'Version'), N);
    assert.equal(await field(d, 'Architecture'), 'amd64');
    assert.match(await field(d, 'Depends'), e.depends, name);
    assert.equal(await field(d, 'X-Stevedore-Commit'), commit);
    const contents = (await execFileP('dpkg-deb', ['--contents', d])).stdout;
    for (const f of [`./usr/lib/stevedore/${e.program}/main.js`, ...e.files]) assert.ok(contents.includes(` ${f}`), `${name} holds ${f}`);
    assert.match(contents, new RegExp(`\\./usr/bin/${e.bin} -> \\.\\./lib/stevedore/${e.program}/main\\.js`), `${name} links /usr/bin/${e.bin}`);
    // Only the control plane carries a native module; nothing carries node_modules.
    assert.equal(/\.node$/m.test(contents), name === 'stevedore-control-plane', `${name}: native addons`);
    assert.ok(!contents.includes('node_modules'), `${name} has no node_modules`);
    if (e.files.some((f) => f.startsWith('./etc/'))) {
      const info = (await execFileP('dpkg-deb', ['--info', d, 'conffiles'])).stdout.trim();
      assert.equal(info, e.files.find((f) => f.startsWith('./etc/'))!.slice(1), `${name} conffiles`);
    }
    const root = path.join(work, `unpacked-${name}`);
    await execFileP('dpkg-deb', ['-x', d, root]);
    const { stdout } = await runNode([path.join(root, 'usr/lib/stevedore', e.program, 'main.js'), '--version']);
    assert.equal(stdout, `${e.bin} ${N} (commit ${commit})\n`);
  }
  assert.match(await field(deb('stevedore-agent'), 'Recommends'), /docker\.io/);
  // The tarball: the same bundles, the deploy files and install.sh, owned by root.
  const listing = (await execFileP('tar', ['-tzvf', path.join(work, 'n', `stevedore-${N}-linux-x64.tar.gz`)])).stdout;
  for (const f of ['bin/stevedore-agent -> ../lib/agent/main.js', 'lib/control-plane/better_sqlite3.node', 'deploy/install.sh', 'deploy/debian/agent.postinst', 'BUILD-INFO']) assert.ok(listing.includes(f), `tarball holds ${f}`);
  assert.ok(listing.split('\n').filter(Boolean).every((l) => l.includes(' 0/0 ')), 'tarball entries owned by root (0/0)');
});

test('the agent package never starts an agent without a control plane and a join token; it does once configured, and an upgrade restarts only a running one', async () => {
  const root = path.join(work, 'dpkg-root');
  const bin = path.join(work, 'fake-bin');
  const calls = path.join(work, 'systemctl-calls');
  fs.mkdirSync(path.join(root, 'etc/stevedore'), { recursive: true });
  fs.mkdirSync(path.join(root, 'run/systemd/system'), { recursive: true });
  fs.mkdirSync(bin, { recursive: true });
  // systemctl as a recorder: the test looks at what postinst asks for, nothing is started.
  fs.writeFileSync(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
  const env = path.join(root, 'etc/stevedore/agent.env');
  fs.writeFileSync(env, (await execFileP('sh', ['-c', `dpkg-deb --fsys-tarfile ${deb('stevedore-agent')} | tar -xO ./etc/stevedore/agent.env`])).stdout, { mode: 0o644 });
  const postinst = path.join(work, 'agent.postinst');
  await execFileP('sh', ['-c', `dpkg-deb --ctrl-tarfile ${deb('stevedore-agent')} | tar -xO ./postinst > ${postinst}`]);
  const configure = async (previous: string) => {
    fs.rmSync(calls, { force: true });
    const r = await execFileP('sh', [postinst, 'configure', previous], { env: { PATH: `${bin}:${process.env.PATH}`, DPKG_ROOT: root } });
    return { calls: fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [], stderr: r.stderr };
  };

  const fresh = await configure('');
  assert.deepEqual(fresh.calls, ['daemon-reload'], 'the shipped env file: not enabled, not started');
  assert.match(fresh.stderr, /installed but not started: set STEVEDORE_CONTROL_PLANE/);
  assert.equal(fs.statSync(env).mode & 0o777, 0o600, 'agent.env holds the join token: 0600');

  // A control plane but no token and no certificate yet: still not started.
  const set = (k: string, v: string) => fs.writeFileSync(env, fs.readFileSync(env, 'utf8').replace(new RegExp(`^${k}=.*$`, 'm'), `${k}=${v}`));
  set('STEVEDORE_CONTROL_PLANE', '10.0.0.10:8443');
  set('STEVEDORE_HOST_IP', '10.0.0.11');
  assert.deepEqual((await configure('')).calls, ['daemon-reload']);
  set('STEVEDORE_TOKEN', 'SVDR-abc.def');
  const configured = await configure('');
  assert.deepEqual(configured.calls, ['daemon-reload', 'enable --now stevedore-agent.service']);
  assert.doesNotMatch(configured.stderr, /not started/);
  // An upgrade: only a running agent is restarted (try-restart), never a stopped one started.
  assert.deepEqual((await configure(N)).calls, ['daemon-reload', 'try-restart stevedore-agent.service']);
});

/**
 * Runs `script` as root in a private mount namespace whose /etc, /opt, /usr
 * and /var are overlays on the real ones: install.sh and dpkg really run, with
 * maintainer scripts and all, and the machine is left exactly as it was.
 */
/**
 * PATH without npm's node_modules/.bin entries: under `npm test` they come
 * first and hold this checkout's own stevedore bins, which would shadow the
 * installed ones in /usr/bin.
 */
function systemPath(): string {
  return (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .filter((d) => d !== '' && !d.split('/').includes('node_modules'))
    .join(':');
}

async function inThrowawayRoot(name: string, script: string): Promise<string> {
  const dir = path.join(work, name);
  const mounts = ['etc', 'opt', 'usr', 'var']
    .map((d) => `mkdir -p ${dir}/${d}-up ${dir}/${d}-work && mount -t overlay overlay -o lowerdir=/${d},upperdir=${dir}/${d}-up,workdir=${dir}/${d}-work /${d}`)
    .join('\n');
  const { stdout } = await execFileP('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', `set -euo pipefail\n${mounts}\n${script}`], { timeout: 120_000, env: { PATH: systemPath() } });
  return stdout;
}

test('install.sh installs from the .deb files and from the tarball (in a throwaway root): programs, user, env files with the given settings, units', async () => {
  const show = `
stevedore-control-plane --version 2>/dev/null || true
stevedore-agent --version
stevedore --version
echo "user=$(getent passwd stevedore | cut -d: -f1,7)"
echo "cp-env=$(stat -c '%a %U:%G' /etc/stevedore/control-plane.env 2>/dev/null || echo none)"
echo "agent-env=$(stat -c '%a %U:%G' /etc/stevedore/agent.env)"
grep -HE '^STEVEDORE_(CONTROL_PLANE|HOST_IP|TOKEN|CA_CERT_HASH|API_LISTEN|API_ADVERTISE|STORE)=' /etc/stevedore/*.env
`;
  const fromDebs = await inThrowawayRoot(
    'root-debs',
    `bash ${path.join(REPO_ROOT, 'deploy/install.sh')} --role both --from ${path.join(work, 'n')} --api-listen 127.0.0.1:18080 --store 'postgres://sd:p&ss|w\\d@db.example/stevedore?sslmode=require' --api-advertise 10.0.0.12:8080 --host-ip 127.0.30.9 --token SVDR-t.s --ca-cert-hash sha256:ab >&2
dpkg-query -W -f '\${Package} \${Version} \${Status}\n' stevedore-control-plane stevedore-agent stevedore-cli
test -f /lib/systemd/system/stevedore-agent.service && echo unit=ok
${show}`,
  );
  for (const p of ['stevedore-control-plane', 'stevedore-agent', 'stevedore-cli']) assert.match(fromDebs, new RegExp(`^${p} ${N} install ok installed$`, 'm'));
  assert.match(fromDebs, /^unit=ok$/m);
  for (const bin of ['stevedore-control-plane', 'stevedore-agent', 'stevedore']) assert.match(fromDebs, new RegExp(`^${bin} ${N.replace(/\./g, '\\.')} \\(commit ${commit}\\)$`, 'm'));
  assert.match(fromDebs, /^user=stevedore:\/usr\/sbin\/nologin$/m);
  assert.match(fromDebs, /^cp-env=640 root:stevedore$/m);
  assert.match(fromDebs, /^agent-env=600 root:root$/m);
  assert.match(fromDebs, /control-plane\.env:STEVEDORE_API_LISTEN=127\.0\.0\.1:18080$/m);
  // A commented-out setting of the example is set; the store URL's '&', '|' and '\\' survive sed.
  assert.match(fromDebs, /control-plane\.env:STEVEDORE_STORE=postgres:\/\/sd:p&ss\|w\\d@db\.example\/stevedore\?sslmode=require$/m);
  assert.match(fromDebs, /control-plane\.env:STEVEDORE_API_ADVERTISE=10\.0\.0\.12:8080$/m);
  assert.match(fromDebs, /agent\.env:STEVEDORE_CONTROL_PLANE=127\.0\.0\.1:8443$/m, 'role both: the local agent channel');
  assert.match(fromDebs, /agent\.env:STEVEDORE_TOKEN=SVDR-t\.s$/m);

  const tarball = path.join(work, 'n', `stevedore-${N}-linux-x64.tar.gz`);
  const fromTarball = await inThrowawayRoot(
    'root-tarball',
    `bash ${path.join(releaseN, 'deploy/install.sh')} --role agent --from ${tarball} --control-plane 10.0.0.10:8443 --host-ip 10.0.0.11 >&2
readlink /opt/stevedore/current /usr/bin/stevedore-agent
test -f /etc/systemd/system/stevedore-agent.service && echo unit=ok
${show}`,
  );
  assert.match(fromTarball, new RegExp(`^releases/${N.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(fromTarball, /^\/opt\/stevedore\/current\/lib\/agent\/main\.js$/m);
  assert.match(fromTarball, /^unit=ok$/m);
  assert.match(fromTarball, new RegExp(`^stevedore-agent ${N.replace(/\./g, '\\.')} `, 'm'));
  assert.match(fromTarball, /^cp-env=none$/m, 'role agent installs no control plane');
  assert.match(fromTarball, /agent\.env:STEVEDORE_CONTROL_PLANE=10\.0\.0\.10:8443$/m);
  assert.match(fromTarball, /agent\.env:STEVEDORE_TOKEN=$/m, 'no token given: none written, and the agent is not started');
  // The machine itself is untouched: no release-N package in its dpkg database, not our token in its /etc.
  const real = await execFileP('dpkg-query', ['-W', '-f', '${Version}', 'stevedore-cli']).then((r) => r.stdout, () => '');
  assert.notEqual(real, N);
  assert.ok(!fs.existsSync('/etc/stevedore/agent.env') || !fs.readFileSync('/etc/stevedore/agent.env', 'utf8').includes('SVDR-t.s'));
});

test('rolling upgrade: the agent of release N replaced by N+1 under running tasks, with a control plane of release N: same containers, same StartedAt; versionInfo shows N+1', async () => {
  const before = await running();
  const tasks = await serviceTasks();
  assert.equal(before.size, 2);
  assert.deepEqual([...before.keys()].sort(), tasks);
  const v = await waitFor(versionInfo, { description: 'versionInfo of the agent', timeoutMs: 30_000 });
  assert.deepEqual(v, { agentVersion: N, agentHash: commit, dockerVersion: v.dockerVersion });
  assert.match(v.dockerVersion, /^DockerVersion: \d+\./);

  // The upgrade as a package does it: stop the agent, new program, start it.
  await c.stopAgent(0);
  agentRelease = releaseN1;
  await c.startAgent(0);
  const after = await waitFor(async () => ((await versionInfo())?.agentVersion === N1 ? versionInfo() : undefined), {
    description: `the agent registered again as ${N1}`,
    timeoutMs: 60_000,
  });
  assert.equal(after.agentHash, commitN1);
  // The control plane is still release N: the handshake took no version check.
  const { stdout } = await runNode([cpBin(), '--version']);
  assert.match(stdout, new RegExp(`^stevedore-control-plane ${N.replace(/\./g, '\\.')} `));
  // Adopted, not restarted: the same containers with the same StartedAt, the same tasks RUNNING.
  await waitFor(async () => ((await c.call('DescribeServices', { services: ['web'] })).services[0].runningCount === 2 ? true : undefined), { description: 'service web still 2 RUNNING', timeoutMs: 30_000 });
  assert.deepEqual(await running(), before);
  assert.deepEqual(await serviceTasks(), tasks);
  const described = (await c.call('DescribeTasks', { tasks })).tasks as any[];
  assert.deepEqual(described.map((t) => t.lastStatus), ['RUNNING', 'RUNNING']);
});

test('online backup while the cluster runs; restore into a fresh data dir; the control plane started on it carries on: agent back, tasks adopted, nothing restarted', async () => {
  const before = await running();
  const tasks = await serviceTasks();
  const archive = path.join(work, 'backup.tar.gz');
  const backup = await runNode([cpBin(), 'backup', '--to', archive, '--data-dir', c.controlPlaneDataDir]);
  assert.match(backup.stdout, /stevedore\.db, keys\/master\.key, pki\/ca\.key, pki\/ca\.crt/);
  assert.equal(fs.statSync(archive).mode & 0o777, 0o600);
  // Never over a live database.
  await assert.rejects(runNode([cpBin(), 'restore', '--from', archive, '--data-dir', c.controlPlaneDataDir]), (e: { code?: number; stderr?: string }) => {
    assert.equal(e.code, 1);
    assert.match(e.stderr ?? '', /already holds control plane state .*a restore never overwrites it/);
    return true;
  });

  // The machine is lost: the control plane stops, its data dir is gone; a new one comes from the backup.
  await c.stopControlPlane('SIGKILL');
  const lost = c.controlPlaneDataDir;
  const fresh = path.join(work, 'restored-data');
  const restored = await runNode([cpBin(), 'restore', '--from', archive, '--data-dir', fresh]);
  assert.match(restored.stdout, /^restored /);
  fs.rmSync(lost, { recursive: true, force: true });
  c.controlPlaneDataDir = fresh;
  await c.startControlPlane();
  // The agent trusts the restored CA (same hash it pinned) and reconnects with its certificate.
  await c.waitForAgents([0], 60_000);
  assert.equal((await versionInfo())?.agentVersion, N1);
  await waitFor(async () => ((await c.call('DescribeServices', { services: ['web'] })).services[0].runningCount === 2 ? true : undefined), { description: 'service web 2 RUNNING after the restore', timeoutMs: 30_000 });
  assert.deepEqual(await serviceTasks(), tasks, 'the same service tasks');
  assert.deepEqual(await running(), before, 'the same containers, never restarted');
  // And it takes new work.
  const run = await c.call('RunTask', { taskDefinition: 'sleeper', startedBy: 'after-restore' });
  assert.equal(run.tasks.length, 1, JSON.stringify(run.failures));
  await waitFor(async () => ((await c.call('DescribeTasks', { tasks: [run.tasks[0].taskArn] })).tasks[0]?.lastStatus === 'RUNNING' ? true : undefined), {
    description: 'a task run after the restore is RUNNING',
    timeoutMs: 60_000,
  });
});

test('the other pairing: the control plane upgraded to N+1 on its data dir, an agent of release N (rolled back) works with it; nothing restarts', async () => {
  const before = await running();
  const tasks = await serviceTasks();
  assert.equal(before.size, 3, 'two service tasks and the one run after the restore');
  await c.stopControlPlane();
  controlPlaneBin = () => path.join(releaseN1, 'lib/control-plane/main.js');
  await c.startControlPlane();
  await c.stopAgent(0);
  agentRelease = releaseN;
  await c.startAgent(0);
  const v = await waitFor(async () => ((await versionInfo())?.agentVersion === N ? versionInfo() : undefined), { description: `the agent registered as ${N} with the control plane of ${N1}`, timeoutMs: 60_000 });
  assert.equal(v.agentHash, commit);
  const { stdout } = await runNode([controlPlaneBin(), '--version']);
  assert.match(stdout, new RegExp(`^stevedore-control-plane ${N1.replace(/\./g, '\\.')} `));
  await waitFor(async () => ((await c.call('DescribeServices', { services: ['web'] })).services[0].runningCount === 2 ? true : undefined), { description: 'service web 2 RUNNING', timeoutMs: 30_000 });
  assert.deepEqual(await serviceTasks(), tasks);
  assert.deepEqual(await running(), before, 'the same containers, never restarted');
});
