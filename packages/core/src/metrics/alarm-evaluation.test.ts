import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateAlarm, evaluationRange, minimumSamplesFor, type AlarmRule, type AlarmStateValue, type TreatMissingData } from './alarm-evaluation';

const P = 60_000;
const NOW = 10 * P + 1_000; // the period at 10P is open and empty: the range ends at 9P
const rule = (M: number, N: number, treatMissingData: TreatMissingData): AlarmRule => ({
  periodMs: P,
  evaluationPeriods: N,
  datapointsToAlarm: M,
  threshold: 50,
  comparisonOperator: 'GreaterThanThreshold',
  treatMissingData,
  statistic: 'Average',
});

/** `0 - X - X`, oldest first: 0 within the threshold, X breaching, - missing; the last is the newest complete period. */
function points(pattern: string) {
  const cells = pattern.split(' ');
  return cells.flatMap((c, i) => (c === '-' ? [] : [{ timestamp: (10 - cells.length + i) * P, value: c === 'X' ? 90 : 10 }]));
}

const COLUMNS: TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];
const KEEP = 'keep';

// "Configuring how CloudWatch alarms treat missing data": the documented tables, row by row.
const TABLES: { M: number; N: number; rows: [string, ...(AlarmStateValue | typeof KEEP)[]][] }[] = [
  {
    M: 3,
    N: 3,
    rows: [
      ['0 - X - X', 'OK', 'OK', 'OK', 'OK'],
      ['- - - - 0', 'OK', 'OK', 'OK', 'OK'],
      ['- - - - -', 'INSUFFICIENT_DATA', KEEP, 'ALARM', 'OK'],
      ['0 X X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
      ['- - X - -', 'ALARM', KEEP, 'ALARM', 'OK'],
    ],
  },
  {
    M: 2,
    N: 3,
    rows: [
      ['0 - X - X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
      ['0 0 X 0 X', 'ALARM', 'ALARM', 'ALARM', 'ALARM'],
      ['0 - X - -', 'OK', 'OK', 'ALARM', 'OK'],
      ['- - - - 0', 'OK', 'OK', 'ALARM', 'OK'],
      ['- - X - -', 'ALARM', KEEP, 'ALARM', 'OK'],
    ],
  },
];

for (const { M, N, rows } of TABLES) {
  for (const [pattern, ...expected] of rows) {
    test(`${M} out of ${N}, datapoints ${pattern}: ${expected.join(' / ')} (missing / ignore / breaching / notBreaching)`, () => {
      COLUMNS.forEach((treat, i) => {
        for (const current of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const) {
          const r = evaluateAlarm(rule(M, N, treat), points(pattern), current, NOW);
          const want = expected[i] === KEEP ? current : expected[i];
          assert.equal(r.state, want, `${treat} from ${current}`);
          assert.equal(r.changed, want !== current);
        }
      });
    });
  }
}

test('the evaluation range is N + 2 periods and includes the open period once it has a datapoint', () => {
  const r = rule(1, 3, 'missing');
  assert.deepEqual(evaluationRange(r, NOW, false), [5 * P, 6 * P, 7 * P, 8 * P, 9 * P]);
  assert.deepEqual(evaluationRange(r, NOW, true), [6 * P, 7 * P, 8 * P, 9 * P, 10 * P]);
  // A breaching point in the open period raises a 1-of-1 alarm at once; the older OK point no longer decides.
  const one = rule(1, 1, 'missing');
  assert.equal(evaluateAlarm(one, [{ timestamp: 9 * P, value: 10 }, { timestamp: 10 * P, value: 90 }], 'OK', NOW).state, 'ALARM');
  assert.equal(evaluateAlarm(one, [{ timestamp: 9 * P, value: 10 }], 'ALARM', NOW).state, 'OK');
  // Points older than the range do not count.
  assert.equal(evaluateAlarm(one, [{ timestamp: 2 * P, value: 90 }], 'OK', NOW).state, 'INSUFFICIENT_DATA');
});

test('comparison operators, thresholds and reasons in CloudWatch wording', () => {
  const at = (comparisonOperator: AlarmRule['comparisonOperator'], value: number) =>
    evaluateAlarm({ ...rule(1, 1, 'missing'), comparisonOperator }, [{ timestamp: 9 * P, value }], 'OK', NOW).state;
  assert.equal(at('GreaterThanThreshold', 50), 'OK');
  assert.equal(at('GreaterThanOrEqualToThreshold', 50), 'ALARM');
  assert.equal(at('LessThanThreshold', 50), 'OK');
  assert.equal(at('LessThanOrEqualToThreshold', 50), 'ALARM');
  const r = evaluateAlarm(rule(1, 1, 'missing'), [{ timestamp: 9 * P, value: 90 }], 'OK', NOW);
  assert.equal(r.reason, 'Threshold Crossed: 1 datapoint [90.0 (01/01/70 00:09:00)] was greater than the threshold (50.0).');
  assert.deepEqual(r.reasonData['recentDatapoints'], [90]);
  const ok = evaluateAlarm(rule(2, 3, 'missing'), points('0 0 0'), 'ALARM', NOW);
  assert.match(ok.reason, /^Threshold Crossed: 3 out of the last 3 datapoints \[10\.0 .*\] were not greater than the threshold \(50\.0\) \(minimum 2 datapoints for ALARM -> OK transition\)\.$/);
  assert.match(evaluateAlarm(rule(1, 2, 'missing'), [], 'OK', NOW).reason, /^Insufficient Data: 2 datapoints were unknown\.$/);
});

test('EvaluateLowSampleCountPercentile=ignore: too few samples for the percentile keep the state', () => {
  assert.deepEqual([50, 90, 99, 99.9].map(minimumSamplesFor), [2, 10, 100, 1000]);
  const r = { ...rule(1, 1, 'missing'), statistic: 'p99', minimumSamples: 100 };
  assert.equal(evaluateAlarm(r, [{ timestamp: 9 * P, value: 90, sampleCount: 20 }], 'OK', NOW).state, 'OK');
  assert.match(evaluateAlarm(r, [{ timestamp: 9 * P, value: 90, sampleCount: 20 }], 'OK', NOW).reason, /Low sample count/);
  assert.equal(evaluateAlarm(r, [{ timestamp: 9 * P, value: 90, sampleCount: 100 }], 'OK', NOW).state, 'ALARM');
  // evaluate (the default): every period counts.
  const { minimumSamples: _ignored, ...evaluateAll } = r;
  assert.equal(evaluateAlarm(evaluateAll, [{ timestamp: 9 * P, value: 90, sampleCount: 20 }], 'OK', NOW).state, 'ALARM');
});
