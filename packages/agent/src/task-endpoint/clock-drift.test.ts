import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAdjtimex, parseChronyTracking } from './clock-drift';
import { networkRateStats, statsWithRates } from './stats-json';

test('ClockDrift from chrony: ClockBound\'s bound in ms, chrony\'s reference time, its leap status', () => {
  const csv = 'A9FEA97B,169.254.169.123,4,1764700000.123456,-0.000012,0.000003,0.000020,-12.5,-0.001,0.010,0.000400,0.000250,64.2,Normal\n';
  assert.deepEqual(parseChronyTracking(csv), { ClockErrorBound: 0.462, ReferenceTimestamp: '2025-12-02T18:26:40.123Z', ClockSynchronizationStatus: 'SYNCHRONIZED' });
  assert.equal(parseChronyTracking(csv.replace('Normal', 'Not synchronised'))?.ClockSynchronizationStatus, 'NOT_SYNCHRONIZED');
  assert.equal(parseChronyTracking('506 Cannot talk to daemon'), undefined);
});

test('ClockDrift from the kernel (busybox adjtimex): maxerror in ms, STA_UNSYNC decides the status', () => {
  const out = (status: string) => `    mode:         0\n-o  offset:       0 us\n    maxerror:     16000000\n    esterror:     16000000\n    status:       ${status}\n`;
  assert.deepEqual(parseAdjtimex(out('64 (UNSYNC)'), Date.UTC(2026, 0, 1)), { ClockErrorBound: 16000, ReferenceTimestamp: '2026-01-01T00:00:00.000Z', ClockSynchronizationStatus: 'NOT_SYNCHRONIZED' });
  assert.equal(parseAdjtimex(out('8193 (PLL | NANO)'), 0)?.ClockSynchronizationStatus, 'SYNCHRONIZED');
  assert.equal(parseAdjtimex('adjtimex: not found', 0), undefined);
});

test('network_rate_stats: bytes per second over all interfaces between two frames; none without networks', () => {
  const frame = (read: string, rx: number, tx: number) => ({ read, networks: { eth0: { rx_bytes: rx, tx_bytes: tx }, eth1: { rx_bytes: 10, tx_bytes: 0 } } });
  const prev = frame('2026-01-01T00:00:00.000Z', 1000, 500);
  const cur = frame('2026-01-01T00:00:00.500Z', 3000, 500);
  assert.deepEqual(networkRateStats(prev, cur), { rx_bytes_per_sec: 4000, tx_bytes_per_sec: 0 });
  assert.deepEqual(statsWithRates(prev, cur).network_rate_stats, { rx_bytes_per_sec: 4000, tx_bytes_per_sec: 0 });
  assert.deepEqual(networkRateStats(cur, prev), undefined, 'no positive interval');
  assert.equal(networkRateStats({ read: prev.read }, { read: cur.read }), undefined);
  assert.ok(!('network_rate_stats' in statsWithRates({ read: prev.read }, { read: cur.read })));
  assert.deepEqual(networkRateStats(cur, { ...frame('2026-01-01T00:00:01.500Z', 0, 0) }), { rx_bytes_per_sec: 0, tx_bytes_per_sec: 0 }, 'a reset counter is no traffic');
});
