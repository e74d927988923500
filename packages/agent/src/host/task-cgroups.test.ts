import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, existsSync, writeFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cgroupParentOf, cgroupWrites, TaskCgroups } from './task-cgroups';

const MIB = 1024 * 1024;

/** On a real cgroup fs the control files vanish with the directory; a temp tree must drop them first. */
function dropControlFiles(dir: string): void {
  for (const f of readdirSync(dir, { withFileTypes: true })) if (f.isFile()) rmSync(path.join(dir, f.name));
}

describe('cgroupWrites', () => {
  it('cgroup v1: the cpu quota per 100 ms period and the memory limit, in the cpu and memory hierarchies', () => {
    const w = cgroupWrites(1, 't1', { cpu: 256, memoryMiB: 512 });
    assert.deepEqual(w.dirs, ['cpu/stevedore/t1', 'memory/stevedore/t1']);
    assert.deepEqual(w.files, [
      ['cpu/stevedore/t1/cpu.cfs_period_us', '100000'],
      ['cpu/stevedore/t1/cpu.cfs_quota_us', '25000'],
      ['memory/stevedore/t1/memory.limit_in_bytes', String(512 * MIB)],
      ['memory/stevedore/t1/memory.memsw.limit_in_bytes', String(512 * MIB)],
    ]);
  });
  it('cgroup v2: controllers enabled for the children, cpu.max and memory.max', () => {
    const w = cgroupWrites(2, 't1', { cpu: 16384, memoryMiB: 122880 });
    assert.deepEqual(w.dirs, ['stevedore', 'stevedore/t1']);
    assert.deepEqual(Object.fromEntries(w.files), {
      'cgroup.subtree_control': '+cpu +memory',
      'stevedore/cgroup.subtree_control': '+cpu +memory',
      'stevedore/t1/cpu.max': '1600000 100000',
      'stevedore/t1/memory.max': String(122880 * MIB),
      'stevedore/t1/memory.swap.max': '0',
    });
  });
});

describe('TaskCgroups on a cgroup file tree', () => {
  it('v1: creates and removes the task cgroup in every hierarchy, tolerating a kernel without swap accounting', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cg1-'));
    for (const h of ['cpu', 'memory', 'pids']) mkdirSync(path.join(root, h));
    const cg = new TaskCgroups(root);
    assert.equal(await cg.create('task-1', { cpu: 1024, memoryMiB: 2048 }), cgroupParentOf('task-1'));
    assert.equal(readFileSync(path.join(root, 'cpu/stevedore/task-1/cpu.cfs_quota_us'), 'utf8'), '100000');
    assert.equal(readFileSync(path.join(root, 'memory/stevedore/task-1/memory.limit_in_bytes'), 'utf8'), String(2048 * MIB));
    // runc makes the path in the other hierarchies itself.
    mkdirSync(path.join(root, 'pids/stevedore/task-1'), { recursive: true });
    for (const h of ['cpu', 'memory']) dropControlFiles(path.join(root, h, 'stevedore/task-1'));
    await cg.remove('task-1');
    for (const h of ['cpu', 'memory', 'pids']) assert.equal(existsSync(path.join(root, h, 'stevedore/task-1')), false, h);
    await cg.remove('task-1');
  });
  it('v2: detected by cgroup.controllers', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cg2-'));
    writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory');
    const cg = new TaskCgroups(root);
    await cg.create('t2', { cpu: 512, memoryMiB: 1024 });
    assert.equal(readFileSync(path.join(root, 'stevedore/t2/cpu.max'), 'utf8'), '50000 100000');
    assert.equal(readFileSync(path.join(root, 'stevedore/cgroup.subtree_control'), 'utf8'), '+cpu +memory');
    dropControlFiles(path.join(root, 'stevedore/t2'));
    await cg.remove('t2');
    assert.equal(existsSync(path.join(root, 'stevedore/t2')), false);
  });
  it('refuses a task id that could leave the stevedore directory', async () => {
    await assert.rejects(new TaskCgroups(mkdtempSync(path.join(tmpdir(), 'cg3-'))).create('../x', { cpu: 256, memoryMiB: 512 }), /bad task id/);
  });
});
