/**
 * Docker as the tests see it, through the `docker` CLI: a second opinion that
 * does not share code with the agent's dockerode wrapper.
 */
import { execFile } from 'node:child_process';

export interface DockerResult {
  stdout: string;
  stderr: string;
}

export function docker(args: string[], timeoutMs = 60_000): Promise<DockerResult> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`docker ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      resolve({ stdout, stderr });
    });
  });
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  /** created, running, exited, ... */
  state: string;
  status: string;
  labels: Record<string, string>;
}

function labelFilters(labels: Record<string, string>): string[] {
  return Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of s.split(',')) {
    if (pair === '') continue;
    const i = pair.indexOf('=');
    out[i < 0 ? pair : pair.slice(0, i)] = i < 0 ? '' : pair.slice(i + 1);
  }
  return out;
}

/** All containers (running or not) that carry every given label. */
export async function listContainers(labels: Record<string, string>): Promise<ContainerSummary[]> {
  const { stdout } = await docker(['ps', '-a', '--no-trunc', ...labelFilters(labels), '--format', '{{json .}}']);
  return stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, string>;
      // `docker ps` joins labels with commas, so values containing commas come out split;
      // use inspectContainer when exact labels matter.
      return { id: r.ID!, name: r.Names!, image: r.Image!, state: r.State!, status: r.Status!, labels: parseLabels(r.Labels ?? '') };
    });
}

export async function inspectContainer(id: string): Promise<any> {
  const { stdout } = await docker(['inspect', '--type', 'container', id]);
  return (JSON.parse(stdout) as unknown[])[0];
}

/** Sends a signal, as something outside Stevedore killing a container would. */
export async function killContainer(id: string, signal = 'KILL'): Promise<void> {
  await docker(['kill', '--signal', signal, id]);
}

/** Removes (forcibly) every container with these labels; returns how many. */
export async function removeContainers(labels: Record<string, string>): Promise<number> {
  const ids = (await listContainers(labels)).map((c) => c.id);
  if (ids.length > 0) await docker(['rm', '-f', '-v', ...ids]);
  return ids.length;
}

export async function imageExists(ref: string): Promise<boolean> {
  try {
    await docker(['image', 'inspect', ref]);
    return true;
  } catch {
    return false;
  }
}

export const TEST_IMAGE = 'stevedore-test/busybox:latest';

/** Removes task-scope volumes left with these labels; returns how many. */
export async function removeVolumes(labels: Record<string, string>): Promise<number> {
  const filters = Object.entries(labels).flatMap(([k, v]) => ['--filter', `label=${k}=${v}`]);
  const { stdout } = await docker(['volume', 'ls', '-q', ...filters]);
  const names = stdout.split('\n').filter((l) => l.trim() !== '');
  if (names.length > 0) await docker(['volume', 'rm', '-f', ...names]);
  return names.length;
}

/**
 * The task endpoint's iptables chains of these instances (agents keep them
 * while their containers run, so a test that kills a cluster removes them):
 * names as packages/agent/src/task-endpoint/endpoint-rules.ts makes them.
 */
export async function removeEndpointChains(instanceIds: string[]): Promise<void> {
  const { createHash } = await import('node:crypto');
  const { execFile } = await import('node:child_process');
  const run = (args: string[]) => new Promise<void>((resolve) => execFile('iptables', ['-w', '5', ...args], { timeout: 15_000 }, () => resolve()));
  for (const id of instanceIds) {
    const h = createHash('sha256').update(id).digest('hex').slice(0, 12);
    await run(['-t', 'nat', '-D', 'PREROUTING', '-d', '169.254.170.2/32', '-p', 'tcp', '--dport', '80', '-j', `STVD-N-${h}`]);
    await run(['-t', 'filter', '-D', 'FORWARD', '-d', '169.254.170.2/32', '-j', `STVD-F-${h}`]);
    for (const [t, c] of [['nat', `STVD-N-${h}`], ['filter', `STVD-F-${h}`]]) {
      await run(['-t', t!, '-F', c!]);
      await run(['-t', t!, '-X', c!]);
    }
  }
}
