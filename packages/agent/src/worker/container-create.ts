import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isRuntimeSocketPath, type TaskSecrets } from '@stevedore/core/host';
import type { RegistryAuth } from '../exec/container-controller';
import { buildCreateRequest, HostAccessError, hostAccessRefusal, ResourceInitializationError } from './create-request';
import { checkNfsServer } from './nfs-check';
import type { ContainerState, TaskState } from './task-state';
import type { TaskNamespaces } from './task-namespaces';
import type { ActionResult, RunnerContext } from './runner-context';

/** The task's secrets, or the ECS error that fails the container (the control plane could not resolve them). */
export async function taskSecrets(ctx: RunnerContext, taskArn: string): Promise<TaskSecrets> {
  const s = await ctx.secrets.wait(taskArn);
  if (!s) throw new ResourceInitializationError('unable to pull secrets or registry auth: the control plane sent no secret values for this task');
  if (s.error) throw new ResourceInitializationError(s.error.replace(/^ResourceInitializationError: /, ''));
  return s;
}

export async function registryAuth(ctx: RunnerContext, taskArn: string, container: string): Promise<RegistryAuth> {
  const a = (await taskSecrets(ctx, taskArn)).registryAuth.find((r) => r.container === container);
  if (!a) throw new ResourceInitializationError(`unable to pull secrets or registry auth: no registry credentials for container ${container}`);
  return { username: a.username, password: a.password };
}

/**
 * The create step of one container: its secrets and environment files, the
 * task's shared namespaces, the endpoint grant, the Docker request, the last
 * host checks (no path to the runtime's socket, NFS servers that answer), its
 * volumes, then the container itself.
 */
export async function createContainer(ctx: RunnerContext, state: TaskState, namespaces: TaskNamespaces, c: ContainerState): Promise<ActionResult> {
  const def = c.definition!;
  const spec = state.spec!;
  const peers = new Map<string, string>();
  for (const other of state.containers) if (other.dockerName) peers.set(other.name, other.dockerName);
  const secretEnvironment = def.secrets?.length ? (await taskSecrets(ctx, state.taskArn)).environment.filter((e) => e.container === def.name).map((e) => ({ name: e.name, value: e.value })) : [];
  const fileEnvironment = def.environmentFiles?.length
    ? ((await taskSecrets(ctx, state.taskArn)).environmentFiles ?? []).filter((e) => e.container === def.name).map((e) => ({ name: e.name, value: e.value }))
    : undefined;
  const shared = hostAccessRefusal(spec) === undefined ? await namespaces.setUp(spec) : undefined;
  const endpoint = await namespaces.grantFor(def.name, () => ctx.endpoint?.prepare(spec, def));
  const { request, volumes } = buildCreateRequest(spec, def, {
    ...ctx,
    peers,
    suffix: randomBytes(10).toString('hex'),
    secretEnvironment,
    ...(fileEnvironment ? { fileEnvironment } : {}),
    ...(shared ? { shared } : {}),
    ...(endpoint ? { grant: endpoint } : {}),
  });
  // A symlink must not smuggle the runtime's socket past the path check (host paths, and devices the local driver binds).
  const hostPaths = [...request.mounts.filter((m) => m.type === 'bind').map((m) => m.source), ...volumes.flatMap((v) => (v.driverOpts['device']?.startsWith('/') ? [v.driverOpts['device']] : []))];
  for (const p of hostPaths) {
    if (isRuntimeSocketPath(await fs.realpath(p).catch(() => p))) {
      throw new HostAccessError(`${p} leads to the container runtime's socket, which is never mounted into containers`);
    }
  }
  for (const v of volumes) {
    // An NFS server that does not answer would hang the mount at container start: say so now.
    if (v.nfsServer) await checkNfsServer(v.nfsServer);
    await ctx.controller.ensureVolume(v);
  }
  // Names only: values may be secrets.
  ctx.log.info(
    { container: def.name, dockerName: request.dockerName, image: def.image, env: (def.environment ?? []).map((e) => e.name), secrets: (def.secrets ?? []).map((s) => s.name) },
    'creating container',
  );
  const runtimeId = await ctx.controller.createContainer(request);
  return { ok: true, runtimeId, dockerName: request.dockerName };
}
