import { lastFireTimeBetween, nextFireTime, type ParsedSchedule, type ScheduleWindow } from './schedule-expression';

/**
 * What the scheduler does for one schedule at `now` (docs/design/scheduled-tasks.md).
 *
 * The schedule keeps a cursor: every fire time up to it has been decided
 * (run, skipped, or passed over while the schedule was disabled). At each
 * look the fire times after the cursor that are due are considered:
 * - only the latest due one runs; the earlier ones are missed (the control
 *   plane was not running, or not leading) and are recorded as one skipped
 *   run: after an outage a schedule runs once at most, never in a burst;
 * - a fire time older than the retry policy's MaximumEventAgeInSeconds is
 *   skipped too (EventBridge drops an event it could not deliver in time);
 * - with the no-overlap extension, a fire time while the schedule's
 *   previous run is still active is skipped, and the reason says so.
 * A FLEXIBLE window delays each fire time by a stable pseudo-random offset
 * within MaximumWindowInMinutes (kept shorter than the gap to the next fire
 * time, so offsets never reorder runs).
 *
 * Pure: the schedule, the cursor and `now` come in, nothing reads a clock.
 */
export type OverlapPolicy = 'ALLOW' | 'SKIP';

export interface ScheduleTickInput {
  expression: ParsedSchedule;
  window: ScheduleWindow;
  enabled: boolean;
  /** Fire times <= cursor are decided. */
  cursor: number;
  now: number;
  /** FLEXIBLE: MaximumWindowInMinutes in ms; OFF: 0. */
  flexibleWindowMs: number;
  /** Seeds the flexible offsets (the schedule's id): stable across restarts. */
  seed: string;
  /** A previous run of the schedule is still PENDING or RUNNING. */
  previousRunActive: boolean;
  overlap: OverlapPolicy;
  maximumEventAgeSeconds: number;
}

export interface PlannedRun {
  scheduledTime: number;
  action: 'launch' | 'skip';
  /** Why a run is skipped, in words for `stevedore schedule runs`. */
  reason?: string;
}

export interface ScheduleTickDecision {
  runs: PlannedRun[];
  cursor: number;
  /** When this schedule next needs a look (a fire time plus its offset), or undefined when it has no more. */
  wakeAt: number | undefined;
  /** The next fire time, for GetSchedule readers and the CLI. */
  nextFireTime: number | undefined;
  /** No fire time is left after the cursor: the schedule is complete (ActionAfterCompletion applies). */
  completed: boolean;
}

/** At most this many missed fire times are counted one by one (beyond, the reason says "more than"). */
const MAX_COUNTED = 10_000;

/** A stable offset in [0, span) from the seed and the fire time (FNV-1a). */
export function flexibleOffsetMs(seed: string, fireTime: number, spanMs: number): number {
  if (spanMs <= 1) return 0;
  let h = 0x811c9dc5;
  for (const ch of `${seed}@${fireTime}`) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % Math.floor(spanMs);
}

function dueTime(i: ScheduleTickInput, fire: number): number {
  if (i.flexibleWindowMs <= 0) return fire;
  const next = nextFireTime(i.expression, i.window, fire);
  const span = next === undefined ? i.flexibleWindowMs : Math.min(i.flexibleWindowMs, next - fire);
  return fire + flexibleOffsetMs(i.seed, fire, span);
}

function countFires(i: ScheduleTickInput, after: number, before: number): number {
  let n = 0;
  for (let t = nextFireTime(i.expression, i.window, after); t !== undefined && t < before; t = nextFireTime(i.expression, i.window, t)) {
    if (++n > MAX_COUNTED) break;
  }
  return n;
}

const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

export function decideScheduleTick(i: ScheduleTickInput): ScheduleTickDecision {
  const after = (cursor: number, runs: PlannedRun[]): ScheduleTickDecision => {
    const next = nextFireTime(i.expression, i.window, cursor);
    return { runs, cursor, wakeAt: next === undefined ? undefined : dueTime(i, next), nextFireTime: next, completed: next === undefined };
  };
  if (!i.enabled) return after(Math.max(i.cursor, i.now), []);
  const latest = lastFireTimeBetween(i.expression, i.window, i.cursor, i.now);
  if (latest === undefined) return after(Math.max(i.cursor, i.now), []);
  let target: number | undefined = latest;
  if (dueTime(i, latest) > i.now) {
    // The latest is still in its flexible window; the one before it (if undecided) is due by construction.
    target = lastFireTimeBetween(i.expression, i.window, i.cursor, latest - 1);
    if (target === undefined) {
      const next = latest;
      return { runs: [], cursor: i.cursor, wakeAt: dueTime(i, next), nextFireTime: next, completed: false };
    }
  }
  const runs: PlannedRun[] = [];
  const missed = countFires(i, i.cursor, target);
  if (missed > 0) {
    const first = nextFireTime(i.expression, i.window, i.cursor)!;
    const count = missed > MAX_COUNTED ? `more than ${MAX_COUNTED}` : String(missed);
    runs.push({
      scheduledTime: first,
      action: 'skip',
      reason: `missed: ${count} fire time${missed === 1 ? '' : 's'} from ${iso(first)} passed while the scheduler was not running; only the latest (${iso(target)}) runs`,
    });
  }
  if (i.now - target > i.maximumEventAgeSeconds * 1000) {
    runs.push({ scheduledTime: target, action: 'skip', reason: `missed: older than MaximumEventAgeInSeconds (${i.maximumEventAgeSeconds}) when the scheduler saw it` });
  } else if (i.previousRunActive && i.overlap === 'SKIP') {
    runs.push({ scheduledTime: target, action: 'skip', reason: 'overlap: the previous run of this schedule is still running (stevedore:overlap = SKIP)' });
  } else {
    runs.push({ scheduledTime: target, action: 'launch' });
  }
  return after(target, runs);
}
