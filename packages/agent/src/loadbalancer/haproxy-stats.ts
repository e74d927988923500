import type { TargetHealthObservation, TargetHealthReason } from '@stevedore/core/host';
import type { RenderedServer } from './haproxy-config';

/** One `show stat` row, by HAProxy's column names (pxname, svname, status, check_status, ...). */
export type StatRow = Record<string, string>;

/** Parses `show stat` CSV: a `# pxname,svname,...` header, then one row per proxy and server. */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const cols = header.slice(2).split(',');
  return lines
    .filter((l) => !l.startsWith('#'))
    .map((l) => {
      const cells = l.split(',');
      const row: StatRow = {};
      cols.forEach((c, i) => {
        if (c) row[c] = cells[i] ?? '';
      });
      return row;
    });
}

/** What the agent remembers per target between polls: ELB's `initial` needs history HAProxy does not keep. */
export interface TargetMemory {
  firstSeenAt: number;
  everUp: boolean;
}

const TIMEOUTS = new Set(['L4TOUT', 'L6TOUT', 'L7TOUT']);
const PASSED = new Set(['L4OK', 'L6OK', 'L7OK', 'L7OKC']);

/**
 * A server's row as an ELB target state. New targets start DOWN (the agent
 * writes them so into the server-state file) and need `rise` passing checks:
 * until they were UP once they are `initial`, unless their checks keep
 * failing for the unhealthy threshold (then `unhealthy`, as ELB does). UP,
 * including "UP 1/2" (going down), is healthy; DOWN after having been UP is
 * unhealthy, with ELB's reason code for the last check's failure.
 */
export function observe(row: StatRow, s: RenderedServer, mem: TargetMemory, reporterInstanceId: string, now: number): TargetHealthObservation {
  const status = row['status'] ?? '';
  const check = row['check_status'] ?? '';
  const base = {
    targetGroupArn: s.targetGroupArn,
    id: s.id,
    port: s.port,
    registrationId: s.registrationId,
    reporterInstanceId,
    requests: Number(row['stot'] ?? 0) || 0,
    errors: (Number(row['hrsp_5xx'] ?? 0) || 0) + (Number(row['eresp'] ?? 0) || 0) + (Number(row['econ'] ?? 0) || 0),
    // rtime: average response time (ms) over the server's last 1024 requests.
    ...(Number(row['rtime']) > 0 ? { responseTimeMs: Number(row['rtime']) } : {}),
    observedAt: now,
  };
  if (s.draining) return { ...base, state: 'draining', reason: 'Target.DeregistrationInProgress' };
  const up = status.startsWith('UP') || status === 'NOLB' || status === 'DRAIN';
  if (up) {
    mem.everUp = true;
    return { ...base, state: 'healthy' };
  }
  const h = s.healthCheck;
  const patienceMs = (h.unhealthyThresholdCount * h.intervalSeconds + h.timeoutSeconds) * 1000;
  // DOWN by the target host agent's check (target-check-server.ts): HAProxy's own connection got through
  // (docker-proxy accepted it), the container's port did not.
  const agentDown = status === 'DOWN (agent)';
  const noVerdictYet = check === '' || check === 'INI' || check === 'UNK' || (PASSED.has(check) && !agentDown) || now - mem.firstSeenAt < patienceMs;
  if (!mem.everUp && noVerdictYet) return { ...base, state: 'initial', reason: 'Elb.InitialHealthChecking', description: 'Initial health checks in progress' };
  if (agentDown) return { ...base, state: 'unhealthy', reason: 'Target.FailedHealthChecks', description: 'Health checks failed (the container does not accept connections on its port)' };
  const { reason, description } = failure(check, row);
  return { ...base, state: 'unhealthy', reason, description };
}

function failure(check: string, row: StatRow): { reason: TargetHealthReason; description: string } {
  if (check === 'L7STS') return { reason: 'Target.ResponseCodeMismatch', description: `Health checks failed with these codes: [${row['check_code'] || '?'}]` };
  if (TIMEOUTS.has(check)) return { reason: 'Target.Timeout', description: 'Request timed out' };
  const detail = row['check_desc'] || row['last_chk'] || check;
  return { reason: 'Target.FailedHealthChecks', description: detail ? `Health checks failed (${detail})` : 'Health checks failed' };
}

/**
 * The server-state file for a reload: what the running worker says
 * (`show servers state`, so health and drain survive the reload), plus a
 * DOWN line with zero health for each server that is new, so a new target
 * starts out of rotation until `rise` checks pass (HAProxy would otherwise
 * assume it is up and send it traffic before the first check).
 */
export function serverStateFile(dump: string, next: RenderedServer[]): string {
  const lines = dump.split('\n').filter((l) => l.trim() !== '');
  const version = lines[0]?.trim() === '1' ? lines.shift()! : '1';
  const header = lines[0]?.startsWith('#') ? lines.shift()! : '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port';
  const known = new Set(lines.map((l) => l.split(' ').slice(1, 4).filter((_, i) => i !== 1).join('/')));
  const added = next
    .filter((s) => !known.has(`${s.backend}/${s.server}`))
    // Ids are not forced, so HAProxy matches by backend and server name. check_status 1 is
    // HCHK_STATUS_INI: with 0 (unknown) HAProxy 2.6.12 crashes on a later reload.
    .map((s) => `0 ${s.backend} 0 ${s.server} ${s.address} 0 0 ${s.draining ? 0 : 1} ${s.draining ? 0 : 1} 0 1 0 0 6 0 0 0 - ${s.port} - 0 0 - - 0`);
  return [version, header, ...lines, ...added].join('\n') + '\n';
}
