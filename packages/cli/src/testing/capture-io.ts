/** An Io for in-process CLI runs: captured output, a fake clock that sleeps instantly. */
import type { Io } from '../context';

export interface CapturedIo extends Io {
  out(): string;
  err(): string;
  /** Total fake time slept, in ms. */
  slept(): number;
}

export function captureIo(opts: { env?: Record<string, string>; files?: Record<string, string>; stdin?: string; tty?: boolean; signal?: AbortSignal } = {}): CapturedIo {
  let out = '';
  let err = '';
  let clock = Date.UTC(2026, 10, 25, 12, 0, 0);
  let slept = 0;
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s), isTTY: opts.tty === true },
    // A key for the signer: the fake servers do not check signatures, the real API does.
    env: { AWS_ACCESS_KEY_ID: 'AKIATESTTESTTESTTEST', AWS_SECRET_ACCESS_KEY: 'test-secret', ...opts.env },
    readStdin: () => Promise.resolve(opts.stdin ?? ''),
    readFile: (p) => {
      const f = opts.files?.[p];
      if (f === undefined) return Promise.reject(Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' }));
      return Promise.resolve(f);
    },
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      clock += ms;
      slept += ms;
      return new Promise((r) => setImmediate(r));
    },
    now: () => clock,
    ...(opts.signal ? { signal: opts.signal } : {}),
    out: () => out,
    err: () => err,
    slept: () => slept,
  };
}
