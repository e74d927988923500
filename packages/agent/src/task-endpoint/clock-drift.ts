import { execFile } from 'node:child_process';

/**
 * TMDS v4 `ClockDrift` (ECS field names): how far the host's clock may be
 * from true time, as Fargate reports it from chrony. Read from the host's
 * time daemon, never guessed: `chronyc -c tracking` where chrony runs (the
 * bound is ClockBound's: |system time offset| + root dispersion + root
 * delay / 2), else the kernel's NTP state through `adjtimex` (busybox),
 * whose `maxerror` is the kernel's own bound and whose STA_UNSYNC bit says
 * whether anything disciplines the clock. Absent when neither can be read.
 */
export interface ClockDrift {
  /** Milliseconds. */
  ClockErrorBound: number;
  ReferenceTimestamp: string;
  ClockSynchronizationStatus: 'SYNCHRONIZED' | 'NOT_SYNCHRONIZED';
}

/** `chronyc -c tracking`: RefID,name,stratum,ref time (s),system offset (s),last offset,RMS offset,freq,residual,skew,root delay (s),root dispersion (s),update interval,leap status. */
export function parseChronyTracking(csv: string): ClockDrift | undefined {
  const f = csv.trim().split(',');
  if (f.length < 14) return undefined;
  const [refTime, offset, rootDelay, rootDispersion] = [Number(f[3]), Number(f[4]), Number(f[10]), Number(f[11])];
  if (![refTime, offset, rootDelay, rootDispersion].every(Number.isFinite)) return undefined;
  const synchronized = f[13] !== 'Not synchronised' && refTime > 0;
  return {
    ClockErrorBound: round((Math.abs(offset) + rootDispersion + rootDelay / 2) * 1000),
    ReferenceTimestamp: new Date(refTime * 1000).toISOString(),
    ClockSynchronizationStatus: synchronized ? 'SYNCHRONIZED' : 'NOT_SYNCHRONIZED',
  };
}

/** STA_UNSYNC in the kernel's timex status (include/uapi/linux/timex.h). */
const STA_UNSYNC = 0x40;

/** busybox `adjtimex` (read-only without options): `maxerror` in microseconds and the `status` bits. */
export function parseAdjtimex(out: string, now: number): ClockDrift | undefined {
  const maxerror = /^\s*maxerror:\s+(\d+)/m.exec(out)?.[1];
  const status = /^\s*status:\s+(\d+)/m.exec(out)?.[1];
  if (maxerror === undefined || status === undefined) return undefined;
  return {
    ClockErrorBound: round(Number(maxerror) / 1000),
    ReferenceTimestamp: new Date(now).toISOString(),
    ClockSynchronizationStatus: (Number(status) & STA_UNSYNC) === 0 ? 'SYNCHRONIZED' : 'NOT_SYNCHRONIZED',
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

const run = (file: string, args: string[]) =>
  new Promise<string>((resolve, reject) => execFile(file, args, { timeout: 2000 }, (err, stdout) => (err && !stdout ? reject(err) : resolve(String(stdout)))));

/** How long one reading is served: the daemons update about once a minute. */
const CACHE_MS = 30_000;

/** Reads the host's clock state on demand, at most every 30 s. */
export class ClockDriftReader {
  private cached: { at: number; value: ClockDrift | undefined } | undefined;

  constructor(private readonly now: () => number) {}

  async read(): Promise<ClockDrift | undefined> {
    const now = this.now();
    if (this.cached && now - this.cached.at < CACHE_MS) return this.cached.value;
    let value: ClockDrift | undefined;
    try {
      value = parseChronyTracking(await run('chronyc', ['-c', 'tracking']));
    } catch {
      // No chrony here: the kernel's view.
    }
    if (!value) {
      // adjtimex exits non-zero when the clock is unsynchronised (its return value is TIME_ERROR); the output still says why.
      value = await run('busybox', ['adjtimex']).then((o) => parseAdjtimex(o, now), () => undefined);
    }
    this.cached = { at: now, value };
    return value;
  }
}
