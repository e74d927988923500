/** Time is injected so decision logic stays pure and tests control it. */
export interface Clock {
  now(): number; // epoch milliseconds
}

export const systemClock: Clock = { now: () => Date.now() };

/** ECS JSON timestamps are epoch seconds with a fractional part. */
export function toEcsTimestamp(ms: number | null | undefined): number | undefined {
  return ms === null || ms === undefined ? undefined : ms / 1000;
}
