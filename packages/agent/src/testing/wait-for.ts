/** Waits for a condition re-checked on every change notification (no sleeps in tests, lesson 17). */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000, pollMs = 5): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
