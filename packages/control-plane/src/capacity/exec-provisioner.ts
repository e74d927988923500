import { spawn } from 'node:child_process';
import type { ExecProvisioner as ExecSpec, HostGroup, HostGroupHost } from '@stevedore/core';
import { hostAttributes, keepTail, ProvisionError, type CreateResult, type JoinInstructions, type Provisioner } from './provisioner';

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
}

/**
 * Runs `sh -c CMD` in its own process group with `env` added, stdout and
 * stderr interleaved into one bounded output; at the timeout the whole group
 * gets SIGTERM, then SIGKILL 5 s later (a `virsh` child must not outlive it).
 */
export function runCommand(command: string, args: string[], env: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', args.length > 0 ? `${command} "$@"` : command, 'sh', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const add = (b: Buffer) => {
      output = keepTail(output + b.toString('utf8'), 64 * 1024);
    };
    child.stdout.on('data', add);
    child.stderr.on('data', add);
    let timedOut = false;
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    let hard: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup('SIGTERM');
      hard = setTimeout(() => killGroup('SIGKILL'), 5000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const onAbort = () => stop();
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => add(Buffer.from(`\n${e.message}\n`)));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      if (hard) clearTimeout(hard);
      signal.removeEventListener('abort', onAbort);
      resolve({ code, signal: sig, output, timedOut });
    });
  });
}

function describeFailure(what: string, r: CommandResult, timeoutMs: number): string {
  if (r.timedOut) return `${what} command timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (r.signal) return `${what} command was killed by ${r.signal}`;
  return `${what} command exited with ${r.code}`;
}

/**
 * Operator commands. `create` gets the join instructions in its environment
 * (STEVEDORE_CONTROL_PLANE, STEVEDORE_CLUSTER, STEVEDORE_TOKEN — one use —,
 * STEVEDORE_CA_CERT_HASH, STEVEDORE_ATTRIBUTES: the agent's own variables, so
 * a script passes them on to the install script) plus STEVEDORE_HOST_ID and
 * STEVEDORE_HOST_GROUP, and prints the new host's id as its last line.
 * `destroy` gets that id as its argument (and STEVEDORE_PROVIDER_ID).
 */
export class ExecProvisioner implements Provisioner {
  constructor(private readonly spec: ExecSpec) {}

  async create(group: HostGroup, host: HostGroupHost, join: JoinInstructions, signal: AbortSignal): Promise<CreateResult> {
    const env = {
      STEVEDORE_HOST_ID: host.id,
      STEVEDORE_HOST_GROUP: group.name,
      STEVEDORE_CLUSTER: join.cluster,
      STEVEDORE_CONTROL_PLANE: join.controlPlane,
      STEVEDORE_TOKEN: join.token,
      STEVEDORE_CA_CERT_HASH: join.caCertHash,
      STEVEDORE_ATTRIBUTES: hostAttributes(group).map((a) => `${a.name}=${a.value}`).join(','),
    };
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const r = await runCommand(this.spec.createCommand, [], env, timeoutMs, signal);
    if (r.code !== 0) throw new ProvisionError(describeFailure('create', r, timeoutMs), r.output);
    const lines = r.output.split('\n').map((l) => l.trim()).filter(Boolean);
    const id = lines[lines.length - 1];
    if (!id || id.length > 256) throw new ProvisionError('create command printed no host id (its last line of output)', r.output);
    return { providerId: id, output: r.output };
  }

  async destroy(group: HostGroup, host: HostGroupHost, signal: AbortSignal): Promise<{ output: string }> {
    // A host whose create never returned has no provider id: the host id is what an idempotent script named it by.
    const id = host.providerId ?? host.id;
    const timeoutMs = this.spec.timeoutSeconds * 1000;
    const r = await runCommand(this.spec.destroyCommand, [id], { STEVEDORE_PROVIDER_ID: id, STEVEDORE_HOST_ID: host.id, STEVEDORE_HOST_GROUP: group.name, STEVEDORE_CLUSTER: group.cluster }, timeoutMs, signal);
    if (r.code !== 0) throw new ProvisionError(describeFailure('destroy', r, timeoutMs), r.output);
    return { output: r.output };
  }
}
