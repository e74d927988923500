import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';

const IP_TIMEOUT_MS = 2_000;

/**
 * Forgets what the host's neighbour (ARP) cache holds for a container's
 * address. Docker derives a bridge container's MAC from its IP, so a reused
 * IP normally keeps its MAC; a container created with a MAC of the agent's
 * own (the task endpoint keys its redirect on it) breaks that, and for a few
 * seconds the host would keep sending to the previous container's MAC:
 * docker-proxy's connections to the new container hang in SYN-SENT until the
 * stale entry is probed again. Flushing the entry right after the start makes
 * the kernel resolve the new MAC on the first packet. It runs on every
 * container's start path, so `ip` is run only when the kernel holds an entry
 * for the address (a fresh address has none).
 */
export async function flushNeighbor(ip: string, table: () => Promise<string> = readArpTable): Promise<boolean> {
  if (!hasNeighbor(await table().catch(() => undefined), ip)) return false;
  await runFlush(ip);
  return true;
}

/** /proc/net/arp: every IPv4 neighbour entry `ip neigh flush` could remove (it lists all but NOARP ones). */
function readArpTable(): Promise<string> {
  return readFile('/proc/net/arp', 'utf8');
}

/** Whether the table names `ip`; an unreadable table (undefined) counts as yes, so the flush still runs. */
export function hasNeighbor(table: string | undefined, ip: string): boolean {
  if (table === undefined) return true;
  return table.split('\n').slice(1).some((line) => line.slice(0, line.indexOf(' ')) === ip);
}

function runFlush(ip: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile('ip', ['neigh', 'flush', 'to', ip], { timeout: IP_TIMEOUT_MS }, (err, _stdout, stderr) =>
      err ? reject(new Error(`ip neigh flush to ${ip}: ${String(stderr || err.message).trim()}`)) : resolve(),
    ),
  );
}
