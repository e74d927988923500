import type { ContainerDefinition, ResolvedEfsVolume, TaskAssignment } from '@stevedore/core/host';
import type { ResolvedMount, VolumeRequest } from '../exec/container-controller';
import { taskLabels } from '../docker/labels';

/**
 * Task volumes -> what to mount and what to create. Task-scope Docker volumes
 * get a name derived from the task id, so adoption and cleanup find them
 * again without remembering anything.
 */
export interface PlannedVolume {
  type: 'bind' | 'volume';
  source: string;
  /** Created (idempotently) before the first container that mounts it. */
  create?: VolumeRequest;
  /** Removed at task cleanup (scope task). */
  taskScoped: boolean;
}

export class VolumeError extends Error {
  override readonly name = 'VolumeError';
}

export function taskVolumeName(task: Pick<TaskAssignment, 'family' | 'revision' | 'taskId'>, volume: string): string {
  return `ecs-${task.family}-${task.revision}-${volume}-${task.taskId}`.replace(/[^a-zA-Z0-9_.-]/g, '-');
}

/** The NFS client options EFS documents for its mounts; hard mounts with bounded retries. */
const NFS_DEFAULT_OPTIONS = 'rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport';

/** NFS over TLS (RPC-with-TLS, RFC 9289): the kernel's `xprtsec=tls`, for transitEncryption ENABLED. */
const NFS_TLS_OPTION = 'xprtsec=tls';

export class EfsVolumeError extends Error {
  override readonly name = 'EfsVolumeError';
  constructor(message: string) {
    // The ECS error name leads the text: it becomes the container's reason as is.
    super(`ResourceInitializationError: ${message}`);
  }
}

/**
 * An efsVolumeConfiguration volume: a task-scoped Docker volume of the local
 * driver with NFS options, for the export the control plane resolved from
 * the registry. The agent builds these options itself from registered
 * values (validated server, path and options), which is why this path is
 * not the host-access gate's business: a user's dockerVolumeConfiguration
 * driverOpts could bind any host path, these can only mount an NFS export.
 */
export function efsDriverOptions(r: ResolvedEfsVolume): Record<string, string> {
  const opts = [`addr=${r.server}`, `nfsvers=${r.nfsVersion ?? '4.1'}`, NFS_DEFAULT_OPTIONS];
  if (r.transitEncryption === 'ENABLED') opts.push(NFS_TLS_OPTION);
  if (r.transitEncryptionPort !== undefined) opts.push(`port=${r.transitEncryptionPort}`);
  if (r.mountOptions) opts.push(r.mountOptions);
  return { type: 'nfs', o: opts.join(','), device: `:${r.path}` };
}

function planEfsVolume(task: TaskAssignment, name: string, instanceId: string): PlannedVolume {
  const r = task.efsVolumes?.find((x) => x.name === name);
  const fsId = task.volumes.find((x) => x.name === name)?.efsVolumeConfiguration?.fileSystemId;
  if (!r) throw new EfsVolumeError(`volume ${name}: file system ${fsId ?? ''} was not resolved by the control plane`);
  if (r.mountError !== undefined) throw new EfsVolumeError(r.mountError);
  if (r.error !== undefined || !r.server || !r.path) throw new EfsVolumeError(`volume ${name}: ${r.error ?? 'incomplete file system'}`);
  const volumeName = taskVolumeName(task, name);
  return {
    type: 'volume',
    source: volumeName,
    create: {
      name: volumeName,
      driver: 'local',
      driverOpts: efsDriverOptions(r),
      labels: { ...taskLabels(task, instanceId), 'stevedore.file-system-id': r.fileSystemId },
      nfsServer: { host: r.server, port: r.transitEncryptionPort ?? 2049, fileSystemId: r.fileSystemId },
    },
    taskScoped: true,
  };
}

export function planVolume(task: TaskAssignment, name: string, instanceId: string): PlannedVolume {
  const v = task.volumes.find((x) => x.name === name);
  if (!v) throw new VolumeError(`mount point references volume ${name}, which the task does not define`);
  if (v.efsVolumeConfiguration) return planEfsVolume(task, name, instanceId);
  if (v.fsxWindowsFileServerVolumeConfiguration) throw new VolumeError(`volume ${name}: fsxWindowsFileServerVolumeConfiguration is not supported on Stevedore hosts`);
  if (v.host?.sourcePath) return { type: 'bind', source: v.host.sourcePath, taskScoped: false };
  const dv = v.dockerVolumeConfiguration;
  const shared = dv?.scope === 'shared';
  const volumeName = shared ? name : taskVolumeName(task, name);
  const labels = shared ? { ...(dv?.labels ?? {}) } : { ...(dv?.labels ?? {}), ...taskLabels(task, instanceId) };
  return {
    type: 'volume',
    source: volumeName,
    // ECS: a shared volume is created only with autoprovision; otherwise it must already exist on the host.
    create: { name: volumeName, driver: dv?.driver ?? 'local', driverOpts: dv?.driverOpts ?? {}, labels, ...(shared && dv?.autoprovision !== true ? { mustExist: true } : {}) },
    // host: {} without a path and scope task both live as long as the task (ECS: not guaranteed to persist).
    taskScoped: !shared,
  };
}

export function mountsFor(task: TaskAssignment, def: ContainerDefinition, instanceId: string): { mounts: ResolvedMount[]; volumes: PlannedVolume[] } {
  const mounts: ResolvedMount[] = [];
  const volumes: PlannedVolume[] = [];
  for (const mp of def.mountPoints ?? []) {
    if (!mp.sourceVolume || !mp.containerPath) throw new VolumeError('mountPoints need sourceVolume and containerPath');
    const pv = planVolume(task, mp.sourceVolume, instanceId);
    volumes.push(pv);
    mounts.push({ type: pv.type, source: pv.source, containerPath: mp.containerPath, readOnly: mp.readOnly ?? false });
  }
  return { mounts, volumes };
}

/** Names of the task-scope Docker volumes to remove at cleanup. */
export function taskScopedVolumes(task: TaskAssignment, instanceId: string): string[] {
  const out: string[] = [];
  for (const v of task.volumes) {
    if (!v.name) continue;
    try {
      const pv = planVolume(task, v.name, instanceId);
      if (pv.taskScoped && pv.type === 'volume') out.push(pv.source);
    } catch {
      // Unsupported volume types were never created.
    }
  }
  return out;
}
