/**
 * TMDS v4 `/stats` and `/task/stats`: Docker's stats JSON for a container,
 * plus ECS's `network_rate_stats` (`rx_bytes_per_sec`, `tx_bytes_per_sec`,
 * over all the container's interfaces) for bridge and awsvpc containers.
 * Pure: the endpoint reads two consecutive frames of Docker's stats stream
 * (the first comes at once, the next a second later, which is what a
 * one-shot read costs anyway) and this computes the rate between them.
 */
export interface StatsFrame {
  read?: string;
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  [k: string]: unknown;
}

export interface NetworkRateStats {
  rx_bytes_per_sec: number;
  tx_bytes_per_sec: number;
}

function totals(f: StatsFrame): { rx: number; tx: number } | undefined {
  if (!f.networks) return undefined;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(f.networks)) {
    rx += Number(n.rx_bytes ?? 0);
    tx += Number(n.tx_bytes ?? 0);
  }
  return { rx, tx };
}

/** Bytes per second between two frames of one container, or undefined without networks or a positive interval. */
export function networkRateStats(prev: StatsFrame, cur: StatsFrame): NetworkRateStats | undefined {
  const a = totals(prev);
  const b = totals(cur);
  const seconds = (Date.parse(cur.read ?? '') - Date.parse(prev.read ?? '')) / 1000;
  if (!a || !b || !(seconds > 0)) return undefined;
  // A counter that went backwards (interface re-created) is no traffic, not negative traffic.
  const rate = (x: number, y: number) => Math.max(0, Math.round(((y - x) / seconds) * 1000) / 1000);
  return { rx_bytes_per_sec: rate(a.rx, b.rx), tx_bytes_per_sec: rate(a.tx, b.tx) };
}

/** The second frame as TMDS serves it: Docker's fields, then `network_rate_stats` when there are networks. */
export function statsWithRates(prev: StatsFrame, cur: StatsFrame): StatsFrame {
  const rates = networkRateStats(prev, cur);
  return rates ? { ...cur, network_rate_stats: rates } : cur;
}
