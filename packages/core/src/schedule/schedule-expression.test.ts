import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lastFireTimeBetween, nextFireTime, parseSchedule } from './schedule-expression';

const at = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
const next = (expr: string, after: string, tz?: string, window: { startTime?: number; endTime?: number; createdAt?: number } = {}) =>
  iso(nextFireTime(parseSchedule(expr, tz), { createdAt: window.createdAt ?? at('2026-01-01T00:00:00Z'), ...window }, at(after)));

test('cron: AWS fields, ?, names, 1-7 from Sunday, L, W, #, the year', () => {
  const table: [string, string, string | undefined][] = [
    ['cron(0 8 * * ? *)', '2026-12-02T10:00:00Z', '2026-12-03T08:00:00.000Z'],
    ['cron(0 8 * * ? *)', '2026-12-02T07:59:00Z', '2026-12-02T08:00:00.000Z'],
    ['cron(0 8 * * ? *)', '2026-12-02T08:00:00Z', '2026-12-03T08:00:00.000Z'],
    ['cron(*/15 * * * ? *)', '2026-12-02T10:07:00Z', '2026-12-02T10:15:00.000Z'],
    ['cron(0 18 ? * MON-FRI *)', '2026-12-04T19:00:00Z', '2026-12-07T18:00:00.000Z'], // Friday evening -> Monday
    ['cron(0 9 ? * 1 *)', '2026-12-02T00:00:00Z', '2026-12-06T09:00:00.000Z'], // 1 = Sunday
    ['cron(0 9 ? * 7 *)', '2026-12-02T00:00:00Z', '2026-12-05T09:00:00.000Z'], // 7 = Saturday
    ['cron(0 9 ? * L *)', '2026-12-02T00:00:00Z', '2026-12-05T09:00:00.000Z'], // L alone: Saturday
    ['cron(0 9 ? * 6L *)', '2026-12-02T00:00:00Z', '2026-12-25T09:00:00.000Z'], // last Friday
    ['cron(0 9 ? * 3#2 *)', '2026-12-02T00:00:00Z', '2026-12-08T09:00:00.000Z'], // second Tuesday
    ['cron(0 9 L * ? *)', '2026-12-02T00:00:00Z', '2026-12-31T09:00:00.000Z'],
    ['cron(0 9 15W * ? *)', '2026-11-01T00:00:00Z', '2026-11-16T09:00:00.000Z'], // the 15th is a Sunday
    ['cron(0 9 1 JAN ? 2028)', '2026-12-02T00:00:00Z', '2028-01-01T09:00:00.000Z'],
    ['cron(0 9 1 JAN ? 2026/3)', '2026-12-02T00:00:00Z', '2029-01-01T09:00:00.000Z'],
    ['cron(0 9 1 JAN ? 2020-2025)', '2026-12-02T00:00:00Z', undefined],
  ];
  for (const [expr, after, want] of table) assert.equal(next(expr, after), want, `${expr} after ${after}`);
});

test('cron in a time zone keeps its wall-clock time across daylight saving changes', () => {
  // Paris: UTC+1 in winter, UTC+2 from the last Sunday of March (2027-03-28) to the last Sunday of October.
  assert.equal(next('cron(0 8 * * ? *)', '2027-03-27T08:00:00Z', 'Europe/Paris'), '2027-03-28T06:00:00.000Z');
  assert.equal(next('cron(0 8 * * ? *)', '2027-03-26T08:00:00Z', 'Europe/Paris'), '2027-03-27T07:00:00.000Z');
  assert.equal(next('cron(0 8 * * ? *)', '2026-10-24T08:00:00Z', 'Europe/Paris'), '2026-10-25T07:00:00.000Z');
  assert.equal(next('cron(0 8 * * ? *)', '2026-12-02T00:00:00Z', 'America/New_York'), '2026-12-02T13:00:00.000Z');
  // 02:30 does not exist in Paris on 2027-03-28: the next real 02:30 is the day after.
  const t = next('cron(30 2 * * ? *)', '2027-03-27T02:00:00Z', 'Europe/Paris');
  assert.ok(t === '2027-03-28T01:30:00.000Z' || t === '2027-03-29T00:30:00.000Z', t);
});

test('rate: every N from StartTime or creation; at: once, in its time zone; EndTime ends both', () => {
  const created = at('2026-12-02T10:00:00Z');
  assert.equal(next('rate(5 minutes)', '2026-12-02T10:00:00Z', undefined, { createdAt: created }), '2026-12-02T10:05:00.000Z');
  assert.equal(next('rate(5 minutes)', '2026-12-02T10:07:00Z', undefined, { createdAt: created }), '2026-12-02T10:10:00.000Z');
  assert.equal(next('rate(1 hour)', '2026-12-02T09:00:00Z', undefined, { createdAt: created, startTime: at('2026-12-02T12:00:00Z') }), '2026-12-02T13:00:00.000Z');
  assert.equal(next('rate(1 day)', '2026-12-02T10:00:00Z', undefined, { createdAt: created, endTime: at('2026-12-03T09:00:00Z') }), undefined);
  assert.equal(next('at(2026-12-24T18:00:00)', '2026-12-02T00:00:00Z'), '2026-12-24T18:00:00.000Z');
  assert.equal(next('at(2026-12-24T18:00:00)', '2026-12-02T00:00:00Z', 'Asia/Tokyo'), '2026-12-24T09:00:00.000Z');
  assert.equal(next('at(2026-12-24T18:00:00)', '2026-12-25T00:00:00Z'), undefined);
  assert.equal(next('cron(0 8 * * ? *)', '2026-12-02T00:00:00Z', undefined, { startTime: at('2026-12-10T00:00:00Z') }), '2026-12-10T08:00:00.000Z');
});

test('lastFireTimeBetween: the latest firing in the gap, once', () => {
  const s = parseSchedule('cron(0 * * * ? *)');
  const w = { createdAt: 0 };
  assert.equal(iso(lastFireTimeBetween(s, w, at('2026-12-02T10:30:00Z'), at('2026-12-02T13:10:00Z'))), '2026-12-02T13:00:00.000Z');
  assert.equal(lastFireTimeBetween(s, w, at('2026-12-02T10:30:00Z'), at('2026-12-02T10:59:59Z')), undefined);
  const r = parseSchedule('rate(10 minutes)');
  assert.equal(iso(lastFireTimeBetween(r, { createdAt: at('2026-12-02T10:00:00Z'), endTime: at('2026-12-02T10:35:00Z') }, at('2026-12-02T10:05:00Z'), at('2026-12-02T11:00:00Z'))), '2026-12-02T10:30:00.000Z');
});

test('invalid expressions are refused with the reason', () => {
  for (const [expr, tz, why] of [
    ['cron(0 8 * * * *)', 'UTC', /one of day-of-month and day-of-week must be \?/],
    ['cron(0 8 ? * ? *)', 'UTC', /only one/],
    ['cron(0 8 * * ?)', 'UTC', /six fields/],
    ['cron(0 25 * * ? *)', 'UTC', /./],
    ['cron(0 8 * * ? 1800)', 'UTC', /out of range/],
    ['rate(0 minutes)', 'UTC', /at least 1/],
    ['rate(5 minute)', 'UTC', /use minutes/],
    ['rate(1 weeks)', 'UTC', /must be at/],
    ['at(2026-13-01T00:00:00)', 'UTC', /invalid date/],
    ['every day', 'UTC', /must be at/],
    ['cron(0 8 * * ? *)', 'Mars/Olympus', /time zone/],
  ] as const) assert.throws(() => parseSchedule(expr, tz), why, expr);
});
