import { execFile } from 'node:child_process';

const IP_TIMEOUT_MS = 2_000;

/**
 * Forgets what the host's neighbour (ARP) cache holds for a container's
 * address. Docker derives a bridge container's MAC from its IP, so a reused
 * IP normally keeps its MAC; a container created with a MAC of the agent's
 * own (the task endpoint keys its redirect on it) breaks that, and for a few
 * seconds the host would keep sending to the previous container's MAC:
 * docker-proxy's connections to the new container hang in SYN-SENT until the
 * stale entry is probed again. Flushing the entry right after the start makes
 * the kernel resolve the new MAC on the first packet.
 */
export function flushNeighbor(ip: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['neigh', 'flush', 'to', ip], { timeout: IP_TIMEOUT_MS }, (err, _stdout, stderr) =>
      err ? reject(new Error(`ip neigh flush to ${ip}: ${String(stderr || err.message).trim()}`)) : resolve(),
    ),
  );
}
