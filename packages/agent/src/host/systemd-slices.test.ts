import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { expandSlice, sliceSetUp, sliceTearDown, taskSliceName } from './systemd-slices';
import { cgroupParentOf, TaskCgroups } from './task-cgroups';

describe("task slices under Docker's systemd cgroup driver", () => {
  it('a slice name Docker accepts (".slice", more than 6 characters, no "/") and runc expands one level under stevedore.slice', () => {
    const slice = taskSliceName('7223afef5309264b5b44543decba86f4');
    assert.equal(slice, 'stevedore-7223afef5309264b5b44543decba86f4.slice');
    assert.equal(expandSlice(slice), '/stevedore.slice/stevedore-7223afef5309264b5b44543decba86f4.slice');
    assert.equal(cgroupParentOf('abc', 'systemd'), 'stevedore-abc.slice');
    assert.equal(cgroupParentOf('abc'), '/stevedore/abc', 'cgroupfs keeps the path');
  });
  it('a dash in a task id is escaped, so it adds no level to the hierarchy', () => {
    assert.equal(taskSliceName('task-1'), 'stevedore-task_1.slice');
    assert.equal(expandSlice(taskSliceName('task-1')), '/stevedore.slice/stevedore-task_1.slice');
  });
  it("runc's expansion rules, refusals included", () => {
    assert.equal(expandSlice('test-a-b.slice'), '/test.slice/test-a.slice/test-a-b.slice');
    assert.equal(expandSlice('-.slice'), '/');
    for (const bad of ['stevedore/x.slice', 'a--b.slice', '-a.slice', 'a-.slice', '.slice', 'x.scope', '/stevedore/abc']) assert.throws(() => expandSlice(bad), /invalid slice name/, bad);
  });
  it('systemctl: size the slice (CPUQuota per 100 ms, MemoryMax, no swap on v2) and start it; stop and revert at cleanup', () => {
    assert.deepEqual(sliceSetUp(2, 'stevedore-t.slice', { cpu: 256, memoryMiB: 512 }), [
      ['set-property', '--runtime', 'stevedore-t.slice', 'CPUQuota=25%', 'CPUQuotaPeriodSec=100ms', `MemoryMax=${512 * 1024 * 1024}`, 'MemorySwapMax=0'],
      ['start', 'stevedore-t.slice'],
    ]);
    assert.deepEqual(sliceSetUp(1, 'stevedore-t.slice', { cpu: 16384, memoryMiB: 122880 })[0], ['set-property', '--runtime', 'stevedore-t.slice', 'CPUQuota=1600%', 'CPUQuotaPeriodSec=100ms', `MemoryMax=${122880 * 1024 * 1024}`]);
    assert.deepEqual(sliceTearDown('stevedore-t.slice'), [['stop', 'stevedore-t.slice'], ['revert', 'stevedore-t.slice']]);
  });
  it('TaskCgroups with the systemd driver talks to systemctl only, never writes the cgroup tree, and returns the slice as the parent', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'cgsd-'));
    writeFileSync(path.join(root, 'cgroup.controllers'), 'cpu memory');
    const calls: string[][] = [];
    const cg = new TaskCgroups(root, 'systemd', async (args) => void calls.push(args));
    assert.equal(await cg.create('t9', { cpu: 512, memoryMiB: 1024 }), 'stevedore-t9.slice');
    assert.deepEqual(calls.map((c) => c[0]), ['set-property', 'start']);
    assert.ok(calls[0]!.includes('MemorySwapMax=0'), 'v2 detected from the tree');
    assert.deepEqual(readdirSync(root), ['cgroup.controllers'], 'nothing written by hand');
    const failing = new TaskCgroups(root, 'systemd', async (args) => {
      calls.push(args);
      throw new Error('Unit stevedore-t9.slice not loaded.');
    });
    await failing.remove('t9');
    assert.deepEqual(calls.slice(-2), [['stop', 'stevedore-t9.slice'], ['revert', 'stevedore-t9.slice']]);
    assert.equal(existsSync(path.join(root, 'stevedore')), false);
  });
});
