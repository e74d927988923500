import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateMetricMath, MetricMathError, parseMetricMath, type MathValue, type Series } from './metric-math';
import { statisticValue } from './statistics';

const s = (...pts: [number, number][]): Series => new Map(pts);
const data: Record<string, Series> = { a: s([1, 10], [2, 20], [3, 30]), b: s([1, 1], [2, 2], [4, 4]), z: s([1, 0], [2, 5]) };
const run = (expr: string): MathValue => {
  const { ast } = parseMetricMath(expr);
  return evaluateMetricMath(ast, (id) => {
    const v = data[id];
    if (!v) throw new MetricMathError(`unknown ${id}`);
    return { kind: 'series', points: v };
  });
};
const series = (v: MathValue) => (v.kind === 'series' ? [...v.points] : v);

test('metric math: arithmetic joins series on timestamps and applies scalars; precedence, unary minus, parentheses', () => {
  assert.deepEqual(series(run('a + b')), [[1, 11], [2, 22]]);
  assert.deepEqual(series(run('a - b * 2')), [[1, 8], [2, 16]]);
  assert.deepEqual(series(run('(a - b) * 2')), [[1, 18], [2, 36]]);
  assert.deepEqual(series(run('-a / 10')), [[1, -1], [2, -2], [3, -3]]);
  assert.deepEqual(series(run('100 * b / a')), [[1, 10], [2, 10]]);
  assert.deepEqual(series(run('a / z')), [[2, 4]]); // division by zero has no value
  assert.deepEqual(run('2 + 3 * 4'), { kind: 'scalar', value: 14 });
});

test('metric math: SUM/AVG/MIN/MAX of an array are series, of one series scalars', () => {
  assert.deepEqual(series(run('SUM([a, b])')), [[1, 11], [2, 22], [3, 30], [4, 4]]);
  assert.deepEqual(series(run('AVG([a, b])')), [[1, 5.5], [2, 11], [3, 30], [4, 4]]);
  assert.deepEqual(series(run('MIN([a, b])')), [[1, 1], [2, 2], [3, 30], [4, 4]]);
  assert.deepEqual(series(run('MAX([a, b])')), [[1, 10], [2, 20], [3, 30], [4, 4]]);
  assert.deepEqual(run('SUM(a)'), { kind: 'scalar', value: 60 });
  assert.deepEqual(series(run('100 * a / SUM(a)')), [[1, 1000 / 60], [2, 2000 / 60], [3, 50]]);
  assert.deepEqual([...parseMetricMath('SUM([m1, m2]) / m3').ids], ['m1', 'm2', 'm3']);
});

test('metric math: errors say what is wrong', () => {
  for (const [expr, msg] of [
    ['a +', /end of expression/],
    ['a $ b', /Unexpected character/],
    ['FOO(a)', /Unsupported function FOO/],
    ['(a', /expected '\)'/],
    ['Abc', /lower-case/],
    ['a b', /Unexpected 'b'/],
  ] as const) {
    assert.throws(() => parseMetricMath(expr), (e: unknown) => e instanceof MetricMathError && msg.test(e.message), expr);
  }
  assert.throws(() => run('SUM([1, a])'), /array holds time series/);
});

test('statistics of a period: basic ones from the set, percentiles from values', () => {
  const set = { sampleCount: 4, sum: 10, minimum: 1, maximum: 4 };
  const values: [number, number][] = [[1, 1], [2, 1], [3, 1], [4, 1]];
  assert.equal(statisticValue('Average', set, values), 2.5);
  assert.equal(statisticValue('SampleCount', set, values), 4);
  assert.equal(statisticValue('p50', set, values), 2);
  assert.equal(statisticValue('p99', set, values), 4);
  assert.equal(statisticValue('p99', set, []), undefined);
  assert.equal(statisticValue('tm99', set, values), undefined);
});
