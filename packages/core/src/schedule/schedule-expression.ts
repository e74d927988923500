import { Cron } from 'croner';

/**
 * Schedule expressions, as Application Auto Scaling's scheduled actions and
 * EventBridge Scheduler read them (the same syntax in both):
 * - `cron(min hour day-of-month month day-of-week year)`: AWS's six fields,
 *   one of the day fields `?`, with `L`, `W`, `#`, names (JAN, MON-FRI),
 *   day-of-week 1-7 from Sunday, and a year field;
 * - `rate(N minute[s]|hour[s]|day[s])`: every N from StartTime (or from the
 *   action's creation);
 * - `at(yyyy-mm-ddThh:mm:ss)`: once.
 * Wall-clock fields are read in `Timezone` (an IANA name, default UTC), so a
 * daily 08:00 stays at 08:00 across daylight saving changes. The maintained
 * croner library does the calendar work (its 7-field Quartz mode has seconds
 * first, the year last and Sunday = 1); this file maps AWS's syntax onto it.
 * Pure: `after` comes in, nothing reads a clock.
 */
export type ParsedSchedule =
  | { kind: 'cron'; expression: string; cron: Cron }
  | { kind: 'rate'; everyMs: number }
  | { kind: 'at'; wall: string; cron: Cron };

export class ScheduleError extends Error {}

const RATE = /^rate\((\d{1,9}) (minute|minutes|hour|hours|day|days)\)$/;
const AT = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/;
const CRON = /^cron\(([^()]*)\)$/;
const UNIT_MS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
const YEAR_MAX = 2199;

/** A valid IANA time zone name (the Intl database decides). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function cronOf(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { paused: true, mode: '7-part', alternativeWeekdays: true, timezone, legacyMode: false });
}

/** AWS's six fields to croner's seven. */
function cronPattern(fields: string[]): string {
  if (fields.length !== 6) throw new ScheduleError('a cron expression has six fields: minutes hours day-of-month month day-of-week year');
  const [min, hour, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  if (dom !== '?' && dow !== '?') throw new ScheduleError('one of day-of-month and day-of-week must be ?');
  if (dom === '?' && dow === '?') throw new ScheduleError('only one of day-of-month and day-of-week can be ?');
  // `L` alone in day-of-week is its last day, Saturday (7).
  const weekday = dow === '?' ? '*' : dow === 'L' ? '7' : dow;
  // Croner refuses `2026/2` (a numeric start with a step): the same as a range to the last year AWS accepts.
  const years = year.replace(/^(\d{4})\/(\d+)$/, `$1-${YEAR_MAX}/$2`);
  for (const y of years.match(/\d{4,}/g) ?? []) if (Number(y) < 1970 || Number(y) > YEAR_MAX) throw new ScheduleError(`the year ${y} is out of range 1970-${YEAR_MAX}`);
  return ['0', min, hour, dom === '?' ? '*' : dom, month, weekday, years].join(' ');
}

/** Parses and checks an expression; the error says what is wrong (it goes into a ValidationException). */
export function parseSchedule(expression: string, timezone = 'UTC'): ParsedSchedule {
  if (!isTimeZone(timezone)) throw new ScheduleError(`the time zone ${timezone} is not a valid IANA time zone`);
  const rate = RATE.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, '');
    if (n < 1) throw new ScheduleError('the rate must be at least 1');
    if ((n === 1) !== !rate[2]!.endsWith('s')) throw new ScheduleError(`use ${n === 1 ? unit : `${unit}s`} with ${n}`);
    return { kind: 'rate', everyMs: n * UNIT_MS[unit]! };
  }
  const at = AT.exec(expression);
  if (at) {
    const [, y, mo, d, h, mi, s] = at as unknown as [string, string, string, string, string, string, string];
    try {
      return { kind: 'at', wall: `${y}-${mo}-${d}T${h}:${mi}:${s}`, cron: cronOf(`${Number(s)} ${Number(mi)} ${Number(h)} ${Number(d)} ${Number(mo)} * ${y}`, timezone) };
    } catch (e) {
      throw new ScheduleError(`invalid date: ${(e as Error).message}`);
    }
  }
  const cron = CRON.exec(expression);
  if (cron) {
    const pattern = cronPattern(cron[1]!.trim().split(/\s+/));
    try {
      return { kind: 'cron', expression, cron: cronOf(pattern, timezone) };
    } catch (e) {
      throw new ScheduleError((e as Error).message.replace(/^CronPattern: /, ''));
    }
  }
  throw new ScheduleError('the schedule must be at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)');
}

export interface ScheduleWindow {
  /** Rates count from here; nothing fires before it. */
  startTime?: number;
  endTime?: number;
  /** When the action was created: a rate without StartTime counts from it. */
  createdAt: number;
  /**
   * A rate fires at its start too (EventBridge Scheduler: without a
   * StartDate a rate schedule invokes its target at once); Application Auto
   * Scaling's first firing is one period after it.
   */
  firstAtStart?: boolean;
}

/** The first fire time strictly after `after` within the window, or undefined when there is none. */
export function nextFireTime(schedule: ParsedSchedule, window: ScheduleWindow, after: number): number | undefined {
  const from = Math.max(after, (window.startTime ?? -Infinity) - 1);
  let next: number | undefined;
  if (schedule.kind === 'rate') {
    const base = window.startTime ?? window.createdAt;
    const k = Math.max(window.firstAtStart ? 0 : 1, Math.floor((from - base) / schedule.everyMs) + 1);
    next = base + k * schedule.everyMs;
  } else {
    next = schedule.cron.nextRun(new Date(from))?.getTime();
  }
  if (next === undefined || (window.endTime !== undefined && next > window.endTime)) return undefined;
  return next;
}

/**
 * The latest fire time in (after, now], if any: what an evaluation at `now`
 * must apply when it last looked at `after`. Only the latest counts (each
 * action sets absolute bounds), so a control plane down for a day applies
 * yesterday's last firing once, not every missed one.
 */
export function lastFireTimeBetween(schedule: ParsedSchedule, window: ScheduleWindow, after: number, now: number): number | undefined {
  let t = nextFireTime(schedule, window, after);
  if (t === undefined || t > now) return undefined;
  if (schedule.kind === 'rate') {
    const base = window.startTime ?? window.createdAt;
    const upto = Math.min(now, window.endTime ?? Infinity);
    return Math.max(t, base + Math.floor((upto - base) / schedule.everyMs) * schedule.everyMs);
  }
  for (let i = 0; i < 10_000; i++) {
    const n = nextFireTime(schedule, window, t);
    if (n === undefined || n > now) return t;
    t = n;
  }
  return t;
}
