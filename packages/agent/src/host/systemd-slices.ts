/**
 * Task cgroups under Docker's `systemd` cgroup driver (docs/design/fargate.md).
 * There Docker refuses a CgroupParent that is a path: it must be a slice
 * name, at least 7 characters ending in `.slice` ("cgroup-parent for systemd
 * cgroup should be a valid slice named as \"xxx.slice\""), and runc expands
 * its dashes into the slice hierarchy (`a-b.slice` is
 * `/a.slice/a-b.slice`; empty components, `a--b.slice` or `-a.slice`, and
 * `/` are invalid). The limits belong to systemd, which owns that tree: the
 * agent sets them on the slice with `systemctl set-property --runtime`
 * (slices need no unit file) and starts it, and at cleanup stops it and
 * drops the runtime properties. Pure: names and commands, table-tested.
 */

export const SLICE_PREFIX = 'stevedore';

/** The task's slice: `stevedore-<id>.slice`, a dash in the id escaped as `_` (kubelet's escape) so it adds no level. */
export function taskSliceName(taskId: string): string {
  return `${SLICE_PREFIX}-${taskId.replace(/-/g, '_')}.slice`;
}

/** runc's ExpandSlice: the slice's path in the cgroup tree; throws for a name Docker or runc would refuse. */
export function expandSlice(slice: string): string {
  // Docker: "valid slice named as xxx.slice" (more than 6 characters); runc: no '/'.
  if (slice.length <= 6 || !slice.endsWith('.slice') || slice.includes('/')) throw new Error(`invalid slice name: ${slice}`);
  const name = slice.slice(0, -'.slice'.length);
  if (name === '-') return '/';
  let out = '';
  let prefix = '';
  for (const component of name.split('-')) {
    if (component === '') throw new Error(`invalid slice name: ${slice}`);
    out += `/${prefix}${component}.slice`;
    prefix += `${component}-`;
  }
  return out;
}

export interface SliceLimits {
  /** CPU units (1024 = one vCPU). */
  cpu: number;
  memoryMiB: number;
}

/**
 * `systemctl` argument lists that give the task's slice its size and make
 * it exist before the first container joins it: CPUQuota in percent of one
 * CPU per 100 ms (cpu/1024 x 100 %, as the cgroupfs path's cfs quota),
 * MemoryMax the task memory, and on cgroup v2 no swap (MemorySwapMax is a
 * v2-only setting; on v1 systemd keeps Docker's swap default).
 */
export function sliceSetUp(version: 1 | 2, slice: string, limits: SliceLimits): string[][] {
  const percent = Math.max(1, Math.round((limits.cpu / 1024) * 100));
  const props = [`CPUQuota=${percent}%`, 'CPUQuotaPeriodSec=100ms', `MemoryMax=${limits.memoryMiB * 1024 * 1024}`, ...(version === 2 ? ['MemorySwapMax=0'] : [])];
  return [
    ['set-property', '--runtime', slice, ...props],
    ['start', slice],
  ];
}

/** Stops the slice (its containers are gone) and removes the runtime properties set above. */
export function sliceTearDown(slice: string): string[][] {
  return [
    ['stop', slice],
    ['revert', slice],
  ];
}
