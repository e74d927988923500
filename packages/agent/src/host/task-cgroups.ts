import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { execFile } from 'node:child_process';
import { expandSlice, sliceSetUp, sliceTearDown, taskSliceName } from './systemd-slices';

/**
 * One cgroup per FARGATE task (docs/design/fargate.md): the agent creates
 * `<root>/<controller>/stevedore/<task-id>` with the task's cpu quota and
 * memory limit, and every container of the task (its pause container too)
 * is created with Docker's `CgroupParent: /stevedore/<task-id>`, so the
 * kernel enforces the task size over all of them together: a container that
 * takes the task past its memory is OOM-killed, as on Fargate.
 *
 * cgroup v1 (this project's hosts): the `cpu` and `memory` hierarchies get
 * the limits; runc creates the same path in the other hierarchies by itself,
 * and `remove` deletes it from all of them. cgroup v2: one directory, the
 * cpu and memory controllers enabled for its children. Under Docker's
 * systemd cgroup driver the parent is the slice `stevedore-<id>.slice`,
 * sized through systemd instead (systemd-slices.ts).
 */
export const CFS_PERIOD_US = 100_000;
const CPU_UNITS_PER_VCPU = 1024;
const MIB = 1024 * 1024;

export interface TaskLimits {
  /** CPU units (1024 = one vCPU). */
  cpu: number;
  memoryMiB: number;
}

/** The files to write, relative to the cgroup root, in order: pure, so both versions are table-tested. */
export function cgroupWrites(version: 1 | 2, taskId: string, limits: TaskLimits): { dirs: string[]; files: [string, string][] } {
  const quota = Math.max(1000, Math.round((limits.cpu / CPU_UNITS_PER_VCPU) * CFS_PERIOD_US));
  const bytes = limits.memoryMiB * MIB;
  if (version === 1) {
    const cpu = path.join('cpu', 'stevedore', taskId);
    const mem = path.join('memory', 'stevedore', taskId);
    return {
      dirs: [cpu, mem],
      files: [
        [path.join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US)],
        [path.join(cpu, 'cpu.cfs_quota_us'), String(quota)],
        [path.join(mem, 'memory.limit_in_bytes'), String(bytes)],
        // No swap beyond the limit where the kernel accounts it: the task size is the whole budget.
        [path.join(mem, 'memory.memsw.limit_in_bytes'), String(bytes)],
      ],
    };
  }
  const dir = path.join('stevedore', taskId);
  return {
    dirs: ['stevedore', dir],
    files: [
      ['cgroup.subtree_control', '+cpu +memory'],
      [path.join('stevedore', 'cgroup.subtree_control'), '+cpu +memory'],
      [path.join(dir, 'cpu.max'), `${quota} ${CFS_PERIOD_US}`],
      [path.join(dir, 'memory.max'), String(bytes)],
      [path.join(dir, 'memory.swap.max'), '0'],
    ],
  };
}

export type CgroupDriver = 'cgroupfs' | 'systemd';

/** Docker's CgroupParent for a task's containers: a path under cgroupfs, a slice name under systemd. */
export function cgroupParentOf(taskId: string, driver: CgroupDriver = 'cgroupfs'): string {
  return driver === 'systemd' ? taskSliceName(taskId) : `/stevedore/${taskId}`;
}

/** Runs `systemctl ARGS`, rejecting with its stderr. */
export function runSystemctl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('systemctl', args, { timeout: 30_000 }, (err, _stdout, stderr) => (err ? reject(new Error(`systemctl ${args.join(' ')}: ${String(stderr).trim() || err.message}`)) : resolve()));
  });
}

const TASK_ID = /^[A-Za-z0-9_-]{1,128}$/;

export class TaskCgroups {
  private version: Promise<1 | 2> | undefined;

  constructor(
    private readonly root = '/sys/fs/cgroup',
    /** Docker's `CgroupDriver` (docker info). */
    private readonly driver: CgroupDriver = 'cgroupfs',
    private readonly systemctl: (args: string[]) => Promise<void> = runSystemctl,
  ) {}

  private detect(): Promise<1 | 2> {
    this.version ??= fs.access(path.join(this.root, 'cgroup.controllers')).then(
      () => 2 as const,
      () => 1 as const,
    );
    return this.version;
  }

  /** Creates (or re-applies) the task's cgroup with its limits; returns the CgroupParent for its containers. */
  async create(taskId: string, limits: TaskLimits): Promise<string> {
    if (!TASK_ID.test(taskId)) throw new Error(`bad task id for a cgroup: ${JSON.stringify(taskId)}`);
    const version = await this.detect();
    if (this.driver === 'systemd') {
      const slice = taskSliceName(taskId);
      expandSlice(slice); // throws for a name Docker would refuse, before any container is created
      for (const args of sliceSetUp(version, slice, limits)) await this.systemctl(args);
      return slice;
    }
    const { dirs, files } = cgroupWrites(version, taskId, limits);
    for (const d of dirs) await fs.mkdir(path.join(this.root, d), { recursive: true });
    for (const [file, value] of files) {
      try {
        await fs.writeFile(path.join(this.root, file), value);
      } catch (err) {
        // Swap accounting is optional in the kernel (memsw / swap.max missing): the memory limit still holds.
        if (/memsw|swap\.max/.test(file) && (err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
    }
    return cgroupParentOf(taskId);
  }

  /**
   * Removes the task's cgroup from every hierarchy once its containers are
   * gone (Docker removes theirs when they stop). Missing is fine; busy is
   * left for the next attempt (cleanup retries).
   */
  async remove(taskId: string): Promise<void> {
    if (!TASK_ID.test(taskId)) return;
    if (this.driver === 'systemd') {
      // A slice already stopped or never started: nothing to undo.
      for (const args of sliceTearDown(taskSliceName(taskId))) await this.systemctl(args).catch(() => undefined);
      return;
    }
    const version = await this.detect();
    const candidates =
      version === 2
        ? [path.join(this.root, 'stevedore', taskId)]
        : (await fs.readdir(this.root).catch(() => [] as string[])).map((h) => path.join(this.root, h, 'stevedore', taskId));
    for (const dir of candidates) {
      try {
        await fs.rmdir(dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      }
    }
  }
}
