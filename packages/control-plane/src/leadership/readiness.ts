import type * as http from 'node:http';
import type { LeadershipStatus } from './leader-election';

/**
 * `GET /ready` on the API listener, without authentication (load balancers
 * and systemd probes call it): 200 once the store answers and a leader is
 * known, 503 otherwise. It reports what the last lease round saw, never
 * queries the store itself, and says nothing beyond leadership.
 */
export function readinessRoute(status: () => LeadershipStatus | undefined): http.RequestListener {
  return (_req, res) => {
    const s = status();
    const ready = s !== undefined && s.storeReachable && s.leaderId !== null;
    const body = {
      ready,
      leader: s?.leader ?? false,
      leaderId: s?.leaderId ?? null,
      epoch: s?.epoch ?? 0,
      replicaId: s?.replicaId ?? null,
      storeReachable: s?.storeReachable ?? false,
    };
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(`${JSON.stringify(body)}\n`);
  };
}
