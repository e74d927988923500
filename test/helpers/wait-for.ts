/**
 * Polling with a deadline instead of sleeps: tests wait for the state they
 * need and, on failure, say what they waited for and what they saw last.
 */
export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What is being waited for, in words: "task RUNNING on agent 1". */
  description: string;
}

export class WaitForTimeoutError extends Error {
  override readonly name = 'WaitForTimeoutError';
  constructor(
    message: string,
    readonly lastValue: unknown,
    readonly lastError: unknown,
  ) {
    super(message);
  }
}

export function describeValue(v: unknown, max = 2000): string {
  let s: string;
  try {
    s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max)}… (${s.length} chars)` : s;
}

/**
 * Calls `fn` until it returns a truthy value and resolves with it. A throw
 * counts as "not yet" (the service may still be starting) and is reported if
 * the deadline passes. Calls never overlap.
 */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitForOptions): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastValue: unknown;
  let lastError: unknown;
  let attempts = 0;
  for (;;) {
    attempts++;
    try {
      const v = await fn();
      lastError = undefined;
      if (v) return v as NonNullable<T>;
      lastValue = v;
    } catch (e) {
      lastError = e;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, remaining)));
  }
  const parts = [`timed out after ${timeoutMs} ms (${attempts} attempts) waiting for ${opts.description}`];
  parts.push(`last value: ${describeValue(lastValue)}`);
  if (lastError !== undefined) parts.push(`last error: ${lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : describeValue(lastError)}`);
  throw new WaitForTimeoutError(parts.join('; '), lastValue, lastError);
}
