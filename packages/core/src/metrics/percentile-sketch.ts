/**
 * Percentiles (p50, p90, p99.9...) over weighted values. Raw points keep
 * their exact values; rollups keep a log-bucket sketch (DDSketch-style:
 * bucket i holds values in (γ^(i-1), γ^i], γ = 1.02), so any percentile of a
 * rolled-up period is within 1% of a value that was actually in it, and two
 * sketches merge by adding counts (a 1-hour rollup is the sum of its
 * 1-minute ones). Zero and negative values have their own buckets.
 */
export const SKETCH_GAMMA = 1.02;
const LOG_GAMMA = Math.log(SKETCH_GAMMA);

/** Bucket key -> count; keys are `p<i>`, `n<i>` (negative) or `z`. */
export type Sketch = Map<string, number>;

export function sketchKey(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return 'z';
  const i = Math.ceil(Math.log(Math.abs(v)) / LOG_GAMMA);
  return `${v > 0 ? 'p' : 'n'}${i}`;
}

/** The value a bucket stands for: the middle of its range (relative error ≤ (γ-1)/(γ+1), about 1%). */
export function sketchValue(key: string): number {
  if (key === 'z') return 0;
  const i = Number(key.slice(1));
  const v = (2 * Math.pow(SKETCH_GAMMA, i)) / (SKETCH_GAMMA + 1);
  return key[0] === 'n' ? -v : v;
}

export function addToSketch(s: Sketch, values: Iterable<[number, number]>): Sketch {
  for (const [v, c] of values) {
    const k = sketchKey(v);
    s.set(k, (s.get(k) ?? 0) + c);
  }
  return s;
}

export function mergeSketches(into: Sketch, other: Sketch): Sketch {
  for (const [k, c] of other) into.set(k, (into.get(k) ?? 0) + c);
  return into;
}

export function sketchToJson(s: Sketch): string {
  return JSON.stringify(Object.fromEntries(s));
}

export function sketchFromJson(text: string | null | undefined): Sketch {
  if (!text) return new Map();
  return new Map(Object.entries(JSON.parse(text) as Record<string, number>));
}

export function sketchEntries(s: Sketch): [number, number][] {
  return [...s].map(([k, c]) => [sketchValue(k), c]);
}

/**
 * The p-th percentile (0 < p ≤ 100) of weighted values, nearest rank as
 * CloudWatch computes it: the smallest value with at least p% of the
 * samples at or below it. Undefined without samples.
 */
export function percentile(values: readonly [number, number][], p: number): number | undefined {
  const sorted = [...values].filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((n, [, c]) => n + c, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (const [v, c] of sorted) {
    seen += c;
    if (seen >= rank) return v;
  }
  return sorted[sorted.length - 1]![0];
}

/** `p99`, `p99.9`, `p50` -> the percentile; undefined for anything else (trimmed means are not supported). */
export function parsePercentileStatistic(stat: string): number | undefined {
  const m = /^p(\d{1,2}(\.\d{1,10})?|100)$/.exec(stat);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p > 0 && p <= 100 ? p : undefined;
}
