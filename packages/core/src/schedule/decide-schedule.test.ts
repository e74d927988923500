import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideScheduleTick, flexibleOffsetMs, type ScheduleTickInput } from './decide-schedule';
import { parseSchedule } from './schedule-expression';
import { decideRetry, retryDelayMs, canTransitionRun } from './schedule-run';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());

function input(expr: string, over: Partial<ScheduleTickInput> & { tz?: string } = {}): ScheduleTickInput {
  const { tz, ...rest } = over;
  return {
    expression: parseSchedule(expr, tz),
    window: { createdAt: at('2026-12-03T10:00:00Z'), firstAtStart: true },
    enabled: true,
    cursor: at('2026-12-03T10:00:00Z') - 1,
    now: at('2026-12-03T10:00:00Z'),
    flexibleWindowMs: 0,
    seed: 'sched-1',
    previousRunActive: false,
    overlap: 'ALLOW',
    maximumEventAgeSeconds: 86_400,
    ...rest,
  };
}

test('which run is due now: table', () => {
  type Row = [name: string, i: ScheduleTickInput, runs: [string, 'launch' | 'skip', RegExp?][], cursor: string, next: string | undefined];
  const table: Row[] = [
    ['rate without StartDate runs at creation', input('rate(1 minute)'), [['2026-12-03T10:00:00.000Z', 'launch']], '2026-12-03T10:00:00.000Z', '2026-12-03T10:01:00.000Z'],
    ['rate: nothing due between fire times', input('rate(1 minute)', { cursor: at('2026-12-03T10:00:00Z'), now: at('2026-12-03T10:00:30Z') }), [], '2026-12-03T10:00:30.000Z', '2026-12-03T10:01:00.000Z'],
    ['rate: the second fire time', input('rate(1 minute)', { cursor: at('2026-12-03T10:00:30Z'), now: at('2026-12-03T10:01:00.200Z') }), [['2026-12-03T10:01:00.000Z', 'launch']], '2026-12-03T10:01:00.000Z', '2026-12-03T10:02:00.000Z'],
    [
      'missed runs after an outage: one skipped record, only the latest runs',
      input('rate(5 minutes)', { cursor: at('2026-12-03T10:00:00Z'), now: at('2026-12-03T11:02:00Z') }),
      [['2026-12-03T10:05:00.000Z', 'skip', /missed: 11 fire times from 2026-12-03T10:05:00Z/], ['2026-12-03T11:00:00.000Z', 'launch']],
      '2026-12-03T11:00:00.000Z',
      '2026-12-03T11:05:00.000Z',
    ],
    [
      'one missed fire time',
      input('cron(0 * * * ? *)', { cursor: at('2026-12-03T10:30:00Z'), now: at('2026-12-03T12:00:10Z') }),
      [['2026-12-03T11:00:00.000Z', 'skip', /missed: 1 fire time from/], ['2026-12-03T12:00:00.000Z', 'launch']],
      '2026-12-03T12:00:00.000Z',
      '2026-12-03T13:00:00.000Z',
    ],
    [
      'a fire time older than MaximumEventAgeInSeconds is skipped',
      input('cron(0 3 * * ? *)', { cursor: at('2026-12-01T04:00:00Z'), now: at('2026-12-02T05:00:00Z'), maximumEventAgeSeconds: 3600 }),
      [['2026-12-02T03:00:00.000Z', 'skip', /older than MaximumEventAgeInSeconds \(3600\)/]],
      '2026-12-02T03:00:00.000Z',
      '2026-12-03T03:00:00.000Z',
    ],
    [
      'overlap SKIP with the previous run active',
      input('rate(1 minute)', { cursor: at('2026-12-03T10:00:00Z'), now: at('2026-12-03T10:01:00Z'), previousRunActive: true, overlap: 'SKIP' }),
      [['2026-12-03T10:01:00.000Z', 'skip', /overlap: the previous run/]],
      '2026-12-03T10:01:00.000Z',
      '2026-12-03T10:02:00.000Z',
    ],
    [
      'overlap ALLOW (AWS default) launches anyway',
      input('rate(1 minute)', { cursor: at('2026-12-03T10:00:00Z'), now: at('2026-12-03T10:01:00Z'), previousRunActive: true }),
      [['2026-12-03T10:01:00.000Z', 'launch']],
      '2026-12-03T10:01:00.000Z',
      '2026-12-03T10:02:00.000Z',
    ],
    ['disabled: the cursor moves on, nothing runs', input('rate(1 minute)', { enabled: false, now: at('2026-12-03T10:05:00Z') }), [], '2026-12-03T10:05:00.000Z', '2026-12-03T10:06:00.000Z'],
    [
      'StartDate in the future: nothing before it',
      input('rate(1 hour)', { window: { createdAt: at('2026-12-03T10:00:00Z'), startTime: at('2026-12-04T00:00:00Z'), firstAtStart: true }, now: at('2026-12-03T10:00:05Z') }),
      [],
      '2026-12-03T10:00:05.000Z',
      '2026-12-04T00:00:00.000Z',
    ],
    [
      'EndDate passed: complete',
      input('rate(1 hour)', { window: { createdAt: at('2026-12-03T10:00:00Z'), endTime: at('2026-12-03T10:30:00Z'), firstAtStart: true }, cursor: at('2026-12-03T10:00:00Z'), now: at('2026-12-03T12:00:00Z') }),
      [],
      '2026-12-03T12:00:00.000Z',
      undefined,
    ],
    ['at(): once, in its time zone', input('at(2026-12-03T11:00:00)', { tz: 'Europe/Paris', window: { createdAt: 0 }, now: at('2026-12-03T10:00:01Z') }), [['2026-12-03T10:00:00.000Z', 'launch']], '2026-12-03T10:00:00.000Z', undefined],
    [
      'cron in a time zone across the DST change (Paris, 2027-03-28)',
      input('cron(0 8 * * ? *)', { tz: 'Europe/Paris', cursor: at('2027-03-27T07:00:00Z'), now: at('2027-03-28T06:00:30Z') }),
      [['2027-03-28T06:00:00.000Z', 'launch']],
      '2027-03-28T06:00:00.000Z',
      '2027-03-29T06:00:00.000Z',
    ],
  ];
  for (const [name, i, runs, cursor, next] of table) {
    const d = decideScheduleTick(i);
    assert.deepEqual(d.runs.map((r) => [iso(r.scheduledTime), r.action]), runs.map(([t, a]) => [t, a]), name);
    runs.forEach(([, , re], k) => re && assert.match(d.runs[k]!.reason ?? '', re, name));
    assert.equal(iso(d.cursor), cursor, `${name}: cursor`);
    assert.equal(iso(d.nextFireTime), next, `${name}: next fire time`);
    assert.equal(d.completed, next === undefined, `${name}: completed`);
  }
});

test('a decided fire time is never decided again: ticks replayed at the same now plan nothing new', () => {
  let i = input('rate(1 minute)', { now: at('2026-12-03T10:00:00.5Z') });
  const first = decideScheduleTick(i);
  assert.equal(first.runs.length, 1);
  i = { ...i, cursor: first.cursor };
  assert.deepEqual(decideScheduleTick(i).runs, []);
  assert.deepEqual(decideScheduleTick({ ...i, now: i.now + 59_000 }).runs, []);
});

test('FLEXIBLE window: each fire time waits its stable offset, shorter than the period', () => {
  const window = 15 * 60_000;
  const i = input('rate(10 minutes)', { cursor: at('2026-12-03T10:00:00Z'), flexibleWindowMs: window });
  const fire = at('2026-12-03T10:10:00Z');
  const offset = flexibleOffsetMs(i.seed, fire, 10 * 60_000);
  assert.ok(offset >= 0 && offset < 10 * 60_000);
  assert.equal(flexibleOffsetMs(i.seed, fire, 10 * 60_000), offset, 'stable');
  const before = decideScheduleTick({ ...i, now: fire + offset - 1 });
  assert.deepEqual(before.runs, []);
  assert.equal(before.wakeAt, fire + offset);
  assert.equal(before.cursor, i.cursor, 'the waiting fire time stays undecided');
  const due = decideScheduleTick({ ...i, now: fire + offset });
  assert.deepEqual(due.runs.map((r) => [r.scheduledTime, r.action]), [[fire, 'launch']]);
  // Offsets differ between fire times (not one fixed delay).
  const offsets = new Set(Array.from({ length: 20 }, (_, k) => flexibleOffsetMs('s', fire + k * 600_000, 600_000)));
  assert.ok(offsets.size > 10);
});

test('retry policy: backoff, attempts and event age', () => {
  assert.deepEqual([1, 2, 3, 6, 100].map(retryDelayMs), [10_000, 20_000, 40_000, 300_000, 300_000]);
  const base = { scheduledTime: 0, now: 1000, maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600, retryable: true };
  assert.deepEqual(decideRetry({ ...base, attempts: 1 }), { retryAt: 11_000 });
  assert.deepEqual(decideRetry({ ...base, attempts: 2 }), { retryAt: 21_000 });
  assert.match((decideRetry({ ...base, attempts: 3 }) as { giveUp: string }).giveUp, /MaximumRetryAttempts \(2\)/);
  assert.match((decideRetry({ ...base, attempts: 1, maximumRetryAttempts: 0 }) as { giveUp: string }).giveUp, /MaximumRetryAttempts \(0\)/);
  assert.match((decideRetry({ ...base, attempts: 1, now: 3_595_000 }) as { giveUp: string }).giveUp, /MaximumEventAgeInSeconds/);
  assert.match((decideRetry({ ...base, attempts: 1, retryable: false }) as { giveUp: string }).giveUp, /not retryable/);
});

test('run states only move forward', () => {
  assert.ok(canTransitionRun('PENDING', 'RUNNING'));
  assert.ok(canTransitionRun('RUNNING', 'STOPPED'));
  assert.ok(!canTransitionRun('STOPPED', 'RUNNING'));
  assert.ok(!canTransitionRun('SKIPPED', 'PENDING'));
  assert.ok(!canTransitionRun('RUNNING', 'FAILED'));
});
