/**
 * Docker's stats JSON (GET /containers/{id}/stats) read into cumulative
 * counters, and the usage between two readings. Pure: the stream and the
 * clock are the collector's.
 *
 * The daemon's shapes differ by cgroup version: v1 has `percpu_usage` and
 * `total_*` memory stats (`cache`, `total_inactive_file`), v2 has
 * `online_cpus` only and `inactive_file`. Both are read here.
 */

export interface RawDockerStats {
  read?: string;
  cpu_stats?: RawCpuStats;
  precpu_stats?: RawCpuStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op?: string; value?: number }[] | null };
}

interface RawCpuStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

/** One reading of a container's cumulative counters. */
export interface StatsSample {
  /** Container CPU time, ns, cumulative. */
  cpuNs: number;
  /** Host CPU time over all CPUs, ns, cumulative (the denominator Docker uses). */
  systemNs: number;
  onlineCpus: number;
  /** The same counters one daemon sample earlier (precpu_stats), when the daemon had one. */
  previous?: { cpuNs: number; systemNs: number };
  /** Memory used without page cache, as `docker stats` shows it. */
  memoryBytes: number;
  rxBytes: number;
  txBytes: number;
  readBytes: number;
  writeBytes: number;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * `docker stats`' memory figure (docker/cli calculateMemUsageUnixNoCache):
 * usage minus the inactive page cache, `total_inactive_file` on cgroup v1
 * and `inactive_file` on v2; daemons that report neither get `cache` (what
 * older CLIs subtracted). Page cache is reclaimable, so counting it would
 * make every task that reads files look like it is running out of memory.
 */
export function memoryWithoutCache(m: RawDockerStats['memory_stats']): number {
  const usage = num(m?.usage);
  const s = m?.stats ?? {};
  const has = (k: string) => Object.prototype.hasOwnProperty.call(s, k);
  const cache = has('total_inactive_file') ? num(s['total_inactive_file']) : has('inactive_file') ? num(s['inactive_file']) : num(s['cache']);
  return cache < usage ? usage - cache : usage;
}

function cpuOf(c: RawCpuStats | undefined): { cpuNs: number; systemNs: number } {
  return { cpuNs: num(c?.cpu_usage?.total_usage), systemNs: num(c?.system_cpu_usage) };
}

/** A stats message as counters; undefined for a message of a stopped container (all zero). */
export function readStats(raw: RawDockerStats): StatsSample | undefined {
  const cpu = cpuOf(raw.cpu_stats);
  if (cpu.systemNs === 0) return undefined;
  const onlineCpus = num(raw.cpu_stats?.online_cpus) || (raw.cpu_stats?.cpu_usage?.percpu_usage ?? []).length || 1;
  let rxBytes = 0;
  let txBytes = 0;
  for (const n of Object.values(raw.networks ?? {})) {
    rxBytes += num(n.rx_bytes);
    txBytes += num(n.tx_bytes);
  }
  let readBytes = 0;
  let writeBytes = 0;
  for (const e of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    // v1 says Read/Write, v2 read/write.
    const op = (e.op ?? '').toLowerCase();
    if (op === 'read') readBytes += num(e.value);
    else if (op === 'write') writeBytes += num(e.value);
  }
  const pre = cpuOf(raw.precpu_stats);
  return {
    ...cpu,
    onlineCpus,
    ...(pre.systemNs > 0 && pre.systemNs < cpu.systemNs ? { previous: pre } : {}),
    memoryBytes: memoryWithoutCache(raw.memory_stats),
    rxBytes,
    txBytes,
    readBytes,
    writeBytes,
  };
}

export interface ContainerUsage {
  /** CPU units used on average (1024 = one vCPU); undefined without two readings to compare yet. */
  cpuUnits: number | undefined;
  memoryBytes: number;
  rxBytes: number;
  txBytes: number;
  readBytes: number;
  writeBytes: number;
}

/** A counter's growth; a counter that went backwards was reset (a restarted container), so all of it is new. */
function grown(from: number, to: number): number {
  return to >= from ? to - from : to;
}

/**
 * Usage between two readings of the same container (`from` undefined: the
 * container appeared during the window, so its byte counters are all new and
 * CPU comes from the daemon's own previous sample). CPU as Docker computes
 * its percentage (container delta / host delta x online CPUs), in units of
 * 1/1024 vCPU.
 */
export function usageBetween(from: StatsSample | undefined, to: StatsSample): ContainerUsage {
  const base = from && from.systemNs < to.systemNs ? from : to.previous;
  let cpuUnits: number | undefined;
  if (base) {
    cpuUnits = 0;
    const sys = to.systemNs - base.systemNs;
    const cpu = grown(base.cpuNs, to.cpuNs);
    if (sys > 0) cpuUnits = Math.min((cpu / sys) * to.onlineCpus, to.onlineCpus) * 1024;
  }
  return {
    cpuUnits,
    memoryBytes: to.memoryBytes,
    rxBytes: from ? grown(from.rxBytes, to.rxBytes) : to.rxBytes,
    txBytes: from ? grown(from.txBytes, to.txBytes) : to.txBytes,
    readBytes: from ? grown(from.readBytes, to.readBytes) : to.readBytes,
    writeBytes: from ? grown(from.writeBytes, to.writeBytes) : to.writeBytes,
  };
}
