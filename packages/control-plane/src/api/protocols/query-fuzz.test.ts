import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { startTestControlPlane } from '../../testing/harness';
import { rawCall, type AccessKey } from '../../testing/signed-client';
import { CLOUDWATCH_MODEL } from '../cloudwatch/cloudwatch-model';

// Random and malformed Query requests (form bodies built from CloudWatch's own
// parameter names, odd indexes, wrong types, huge and hostile values), signed
// as admin and as read-only: never a 5xx, always well-formed XML of the
// right kind, and a refused request changes no table.
let h: Awaited<ReturnType<typeof startTestControlPlane>>;
const keys: Record<string, AccessKey> = {};

before(async () => {
  h = await startTestControlPlane({ auth: { apiRateLimit: { steady: 1e6, burst: 1e6 }, apiFailedAuthRateLimit: { steady: 1e6, burst: 1e6 } }, alarmEvaluationIntervalMs: 3_600_000 });
  keys['admin'] = h.admin!;
  keys['read-only'] = (await h.call('CreateAccessKey', { roleName: 'read-only' }, 'Stevedore_20261125.CreateAccessKey')).body['accessKey'];
});
after(async () => {
  await h.cp.stop();
});

function dump(): string {
  const db = h.cp.store.db;
  // The leader lease and replica rows renew on their own, whatever the requests.
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'api_replay_%' AND name NOT IN ('leader_lease', 'control_plane_replicas') ORDER BY name").all() as { name: string }[];
  return JSON.stringify(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
}

const OPS = [...Object.keys(CLOUDWATCH_MODEL.operations), 'DescribeDashboards', 'constructor', '__proto__', ''];
const NAMES = [
  'Namespace', 'MetricName', 'MetricData.member.1.MetricName', 'MetricData.member.1.Value', 'MetricData.member.2.Value', 'MetricData.member.1.Timestamp',
  'MetricData.member.1.Values.member.1', 'MetricData.member.1.Counts.member.1', 'MetricData.member.1.StatisticValues.SampleCount', 'MetricData.member.1.Unit',
  'MetricData.member.1.Dimensions.member.1.Name', 'MetricData.member.1.Dimensions.member.1.Value', 'MetricData.member.0.Value', 'MetricData.member.x.Value',
  'MetricData.member.999999.Value', 'MetricData.__proto__.Value', 'Dimensions.member.1.Name', 'Dimensions.member.1.Value', 'StartTime', 'EndTime', 'Period',
  'Statistics.member.1', 'ExtendedStatistics.member.1', 'MetricDataQueries.member.1.Id', 'MetricDataQueries.member.1.Expression',
  'MetricDataQueries.member.1.MetricStat.Metric.Namespace', 'MetricDataQueries.member.1.MetricStat.Period', 'MetricDataQueries.member.1.MetricStat.Stat',
  'AlarmName', 'AlarmNames.member.1', 'AlarmNamePrefix', 'StateValue', 'StateReason', 'StateReasonData', 'Threshold', 'EvaluationPeriods',
  'DatapointsToAlarm', 'ComparisonOperator', 'Statistic', 'TreatMissingData', 'AlarmActions.member.1', 'NextToken', 'MaxRecords', 'ScanBy', 'Unit',
];
const VALUES = fc.oneof(
  fc.constantFrom('App', 'AWS/ECS', 'x', '1', '-1', '0', '1e400', 'NaN', 'Infinity', '2026-12-02T16:00:00Z', '1764691200', 'yesterday', 'true', 'Average',
    'p99', 'tm99', 'ALARM', 'GreaterThanThreshold', 'Percent', 'm1 + m2', 'SUM([', '((((((((((', '{}', '{"a":1}', 'eyJjIjoiYSJ9', '', 'a'.repeat(2000), '<x>&</x>', '\u0000'),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: -5, max: 100_000 }).map(String),
);
const form = fc.tuple(fc.constantFrom(...OPS), fc.constantFrom('2010-08-01', '2015-12-01', ''), fc.array(fc.tuple(fc.constantFrom(...NAMES), VALUES), { maxLength: 12 })).map(([op, version, params]) => {
  const p = new URLSearchParams();
  if (op) p.append('Action', op);
  if (version) p.append('Version', version);
  for (const [k, v] of params) p.append(k, v);
  return p.toString();
});

test('fuzzed Query requests: no 5xx, well-formed XML, refusals leave the store unchanged', async () => {
  await fc.assert(
    fc.asyncProperty(form, fc.constantFrom('admin', 'read-only'), async (body, who) => {
      const before = dump();
      const r = await rawCall(h.endpoint, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, service: 'monitoring', credentials: keys[who]! });
      assert.ok(r.status < 500, `${r.status} for ${body}: ${r.text}`);
      assert.equal(XMLValidator.validate(r.text), true, r.text);
      const root = Object.keys(new XMLParser().parse(r.text))[0]!;
      if (r.status === 200) assert.match(root, /Response$/);
      else {
        assert.equal(root, 'ErrorResponse', r.text);
        assert.equal(dump(), before, `refused ${body} changed the store`);
      }
    }),
    { numRuns: 300 },
  );
});
