import { StevedoreError } from '../errors';
import type { CapacityProviderStrategyItem } from '../model/capacity-provider-strategy';


/**
 * What kind of capacity a provider names. Host groups are ours; the built-in
 * FARGATE / FARGATE_SPOT providers belong to another kind, added beside this
 * one (issue 13): strategy code only ever asks `kindOf`, never matches names.
 */
export type CapacityProviderKind = 'HOST_GROUP' | 'FARGATE';

/** ECS's bounds (CapacityProviderStrategyItem): base 0-100000, weight 0-1000, at most 20 items. */
export const STRATEGY_LIMITS = { maxItems: 20, maxBase: 100_000, maxWeight: 1000 } as const;

/**
 * ECS's rules for a strategy: named providers, each once, at most one with a
 * base, and some weight above 0 (else nothing could ever be placed past the base).
 */
export function validateStrategy(items: CapacityProviderStrategyItem[], field = 'capacityProviderStrategy'): void {
  if (items.length > STRATEGY_LIMITS.maxItems) throw new StevedoreError('InvalidParameterException', `${field} can contain at most ${STRATEGY_LIMITS.maxItems} capacity providers.`, { field });
  const seen = new Set<string>();
  let withBase = 0;
  items.forEach((it, i) => {
    const at = `${field}[${i}]`;
    if (typeof it.capacityProvider !== 'string' || it.capacityProvider === '') throw new StevedoreError('InvalidParameterException', `${at}.capacityProvider is required.`, { field: `${at}.capacityProvider` });
    if (seen.has(it.capacityProvider)) throw new StevedoreError('InvalidParameterException', `Duplicate capacity provider ${it.capacityProvider} in ${field}.`, { field: at });
    seen.add(it.capacityProvider);
    const base = it.base ?? 0;
    const weight = it.weight ?? 0;
    if (!Number.isInteger(base) || base < 0 || base > STRATEGY_LIMITS.maxBase) throw new StevedoreError('InvalidParameterException', `${at}.base must be an integer between 0 and ${STRATEGY_LIMITS.maxBase}.`, { field: `${at}.base` });
    if (!Number.isInteger(weight) || weight < 0 || weight > STRATEGY_LIMITS.maxWeight) throw new StevedoreError('InvalidParameterException', `${at}.weight must be an integer between 0 and ${STRATEGY_LIMITS.maxWeight}.`, { field: `${at}.weight` });
    if (base > 0) withBase++;
  });
  if (withBase > 1) throw new StevedoreError('InvalidParameterException', `Only one capacity provider in ${field} can have a base defined.`, { field });
  if (items.length > 0 && items.every((it) => (it.weight ?? 0) === 0)) {
    throw new StevedoreError('InvalidParameterException', `At least one capacity provider in ${field} must have a weight greater than 0.`, { field });
  }
}

/**
 * How many of `total` tasks each provider should run (ECS: the base first,
 * on the one provider that has it, then the rest in proportion to the
 * weights). Largest remainder, ties to the earlier item, so the counts always
 * sum to `total` and the answer is stable.
 */
export function targetCounts(items: CapacityProviderStrategyItem[], total: number): Map<string, number> {
  const out = new Map<string, number>(items.map((it) => [it.capacityProvider, 0]));
  if (total <= 0 || items.length === 0) return out;
  let rest = total;
  for (const it of items) {
    const base = Math.min(it.base ?? 0, rest);
    if (base > 0) {
      out.set(it.capacityProvider, base);
      rest -= base;
    }
  }
  const weighted = items.filter((it) => (it.weight ?? 0) > 0);
  const sum = weighted.reduce((s, it) => s + (it.weight ?? 0), 0);
  if (rest === 0 || sum === 0) return out;
  const shares = weighted.map((it, i) => {
    const exact = (rest * (it.weight ?? 0)) / sum;
    return { name: it.capacityProvider, floor: Math.floor(exact), frac: exact - Math.floor(exact), i };
  });
  let left = rest - shares.reduce((s, x) => s + x.floor, 0);
  for (const s of [...shares].sort((a, b) => b.frac - a.frac || a.i - b.i)) {
    const extra = left > 0 ? 1 : 0;
    left -= extra;
    out.set(s.name, (out.get(s.name) ?? 0) + s.floor + extra);
  }
  return out;
}

/**
 * Which provider each of `count` new tasks goes to, given how many of the
 * same service each provider already runs: the deficit toward the target
 * counts for `existing + count` tasks, filled in strategy order.
 */
export function distributeTasks(items: CapacityProviderStrategyItem[], count: number, existing: ReadonlyMap<string, number> = new Map()): Map<string, number> {
  const out = new Map<string, number>(items.map((it) => [it.capacityProvider, 0]));
  if (count <= 0 || items.length === 0) return out;
  const already = items.reduce((s, it) => s + (existing.get(it.capacityProvider) ?? 0), 0);
  const target = targetCounts(items, already + count);
  let left = count;
  for (const it of items) {
    const want = Math.max(0, (target.get(it.capacityProvider) ?? 0) - (existing.get(it.capacityProvider) ?? 0));
    const n = Math.min(want, left);
    out.set(it.capacityProvider, n);
    left -= n;
  }
  // Existing tasks above their share (after a strategy change) can leave some unassigned: weights decide.
  for (const it of items) {
    if (left === 0) break;
    if ((it.weight ?? 0) === 0) continue;
    out.set(it.capacityProvider, (out.get(it.capacityProvider) ?? 0) + left);
    left = 0;
  }
  return out;
}
