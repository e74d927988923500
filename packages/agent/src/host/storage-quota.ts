import type { TaskAssignment } from '@stevedore/core/host';

/**
 * FARGATE `ephemeralStorage` on a Docker host (docs/design/fargate.md).
 * Docker bounds a container's writable layer with `--storage-opt size=`
 * (HostConfig.StorageOpt) only on some storage drivers: devicemapper, btrfs
 * and zfs always; overlay2 (and vfs) only when the backing filesystem is
 * xfs mounted with project quotas (`pquota`, shown by the kernel as
 * `prjquota`). Elsewhere Docker refuses the option at create, so the agent
 * decides once at start whether to pass it, and otherwise records that the
 * size is not enforced. Pure: the agent gathers the facts.
 */
export interface StorageFacts {
  /** Docker's `Driver` (docker info). */
  driver: string;
  /** DriverStatus "Backing Filesystem" (overlay2, vfs): `xfs`, `extfs`, `tmpfs`... */
  backingFilesystem?: string;
  /** Mount and superblock options of the filesystem holding Docker's root dir; undefined when unknown (a remote dockerd). */
  mountOptions?: string[];
}

export type StorageQuotaSupport = { enforced: true } | { enforced: false; reason: string };

const ALWAYS = new Set(['devicemapper', 'btrfs', 'zfs']);
const XFS_PQUOTA = new Set(['overlay2', 'vfs']);
/** The kernel lists `prjquota`; fstab may say `pquota`. `pqnoenforce` accounts without enforcing: not a limit. */
const PROJECT_QUOTA = new Set(['prjquota', 'pquota', 'pqnoenforce']);

export function storageQuotaSupport(f: StorageFacts): StorageQuotaSupport {
  if (ALWAYS.has(f.driver)) return { enforced: true };
  const how = 'Docker enforces a size only with devicemapper, btrfs, zfs, or overlay2 on xfs mounted with pquota';
  if (!XFS_PQUOTA.has(f.driver)) return { enforced: false, reason: `storage driver ${f.driver}: ${how}` };
  const fs = f.backingFilesystem ?? 'an unknown filesystem';
  if (f.backingFilesystem !== 'xfs') return { enforced: false, reason: `storage driver ${f.driver} on ${fs}: ${how}` };
  if (f.mountOptions === undefined) return { enforced: false, reason: `${f.driver} on xfs, but the mount options of Docker's root dir are unknown here: ${how}` };
  const quota = f.mountOptions.find((o) => PROJECT_QUOTA.has(o));
  if (quota === undefined || quota === 'pqnoenforce') return { enforced: false, reason: `${f.driver} on xfs without project quotas (mount it with pquota): ${how}` };
  return { enforced: true };
}

/**
 * The options of the mount holding `dir`, from /proc/self/mountinfo text:
 * the longest mount point that is `dir` or a parent of it, its per-mount
 * options (field 6) and its superblock options (after ` - `, where xfs
 * lists prjquota). Undefined when no line matches.
 */
export function mountOptionsOf(mountinfo: string, dir: string): string[] | undefined {
  let best: { point: string; options: string[] } | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || right === undefined) continue;
    const fields = left.split(' ');
    const point = fields[4]?.replace(/\\040/g, ' ');
    if (point === undefined) continue;
    const inside = point === '/' || dir === point || dir.startsWith(`${point}/`);
    if (!inside || (best && best.point.length > point.length)) continue;
    const superOptions = right.split(' ')[2] ?? '';
    best = { point, options: [...(fields[5] ?? '').split(','), ...superOptions.split(',')].filter(Boolean) };
  }
  return best?.options;
}

/** Label on each container of a FARGATE task: what became of its ephemeralStorage here (TMDS shows container labels). */
export const EPHEMERAL_STORAGE_LABEL = 'stevedore.ephemeral-storage';

/**
 * For one container of a task: the size to pass to Docker (GiB) when this
 * host enforces it, and the label value recording the outcome. Undefined
 * for tasks without ephemeralStorage (EC2 tasks: ECS has none for them).
 * The size bounds each container's writable layer (Docker has no per-task
 * quota), so the task as a whole may use up to that much per container.
 */
export function ephemeralStorageFor(spec: Pick<TaskAssignment, 'launchType' | 'ephemeralStorageGiB'>, support: StorageQuotaSupport | undefined): { sizeGiB?: number; label: string } | undefined {
  const size = spec.ephemeralStorageGiB;
  if (spec.launchType !== 'FARGATE' || size === undefined) return undefined;
  if (support?.enforced) return { sizeGiB: size, label: `${size} GiB, enforced (writable layer of each container)` };
  return { label: `${size} GiB, not enforced on this host: ${support?.enforced === false ? support.reason : 'not checked'}` };
}
