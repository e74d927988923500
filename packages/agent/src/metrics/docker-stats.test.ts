import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { memoryWithoutCache, readStats, usageBetween, type RawDockerStats } from './docker-stats';

/** cgroup v1 shape, as Docker 20.10 on this machine sends it. */
function v1(cpuNs: number, systemNs: number, pre?: [number, number]): RawDockerStats {
  return {
    cpu_stats: { cpu_usage: { total_usage: cpuNs, percpu_usage: [cpuNs / 2, cpuNs / 2] }, system_cpu_usage: systemNs, online_cpus: 2 },
    precpu_stats: pre ? { cpu_usage: { total_usage: pre[0] }, system_cpu_usage: pre[1], online_cpus: 2 } : {},
    memory_stats: { usage: 10 * 1048576, stats: { cache: 4 * 1048576, total_inactive_file: 3 * 1048576 } },
    networks: { eth0: { rx_bytes: 1000, tx_bytes: 500 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 4096 }, { op: 'Write', value: 8192 }, { op: 'Total', value: 12288 }] },
  };
}

describe('docker stats', () => {
  it('memory without page cache: total_inactive_file (v1), inactive_file (v2), cache (old daemons)', () => {
    assert.equal(memoryWithoutCache({ usage: 100, stats: { total_inactive_file: 30, cache: 50 } }), 70);
    assert.equal(memoryWithoutCache({ usage: 100, stats: { inactive_file: 20, file: 40 } }), 80);
    assert.equal(memoryWithoutCache({ usage: 100, stats: { cache: 50 } }), 50);
    assert.equal(memoryWithoutCache({ usage: 100, stats: { inactive_file: 200 } }), 100);
    assert.equal(memoryWithoutCache(undefined), 0);
  });

  it('reads v1 counters', () => {
    const s = readStats(v1(2e9, 10e9, [1e9, 8e9]))!;
    assert.equal(s.onlineCpus, 2);
    assert.equal(s.memoryBytes, 7 * 1048576);
    assert.equal(s.rxBytes, 1001);
    assert.equal(s.txBytes, 502);
    assert.equal(s.readBytes, 4096);
    assert.equal(s.writeBytes, 8192);
    assert.deepEqual(s.previous, { cpuNs: 1e9, systemNs: 8e9 });
  });

  it('reads v2 shapes: no percpu_usage, lower-case ops', () => {
    const s = readStats({
      cpu_stats: { cpu_usage: { total_usage: 5e8 }, system_cpu_usage: 4e9, online_cpus: 4 },
      memory_stats: { usage: 1000, stats: { inactive_file: 100 } },
      blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 7 }, { op: 'write', value: 9 }] },
    })!;
    assert.equal(s.onlineCpus, 4);
    assert.equal(s.memoryBytes, 900);
    assert.equal(s.readBytes, 7);
    assert.equal(s.writeBytes, 9);
  });

  it('one reading without the daemon previous sample: no CPU figure yet', () => {
    assert.equal(usageBetween(undefined, readStats(v1(3e9, 12e9))!).cpuUnits, undefined);
  });

  it('a stopped container (zeroed stats) gives no reading', () => {
    assert.equal(readStats({ cpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0 } }), undefined);
  });

  it('CPU units from deltas: a full core of two is 1024 units', () => {
    // Host time counts both CPUs: 2 s of host time per wall second; one busy core adds 1 s.
    const a = readStats(v1(10e9, 100e9))!;
    const b = readStats(v1(15e9, 110e9))!;
    assert.equal(usageBetween(a, b).cpuUnits, 1024);
  });

  it('without a previous reading, CPU comes from the daemon previous sample and bytes are all new', () => {
    const u = usageBetween(undefined, readStats(v1(3e9, 12e9, [2.5e9, 11e9]))!);
    assert.equal(u.cpuUnits, 1024);
    assert.equal(u.rxBytes, 1001);
  });

  it('counters that went backwards were reset', () => {
    const a = readStats(v1(10e9, 100e9))!;
    const b = { ...readStats(v1(1e9, 110e9))!, rxBytes: 10 };
    const u = usageBetween(a, b);
    assert.equal(u.rxBytes, 10);
    assert.ok(u.cpuUnits !== undefined && u.cpuUnits <= 2048);
  });
});
