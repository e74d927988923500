import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bearerMatches, readMetricsToken } from './metrics-endpoint';
import { parseConfig } from '../config';

test('the scrape token: Bearer only, exact match', () => {
  const token = Buffer.from('s3cr3t-token-0123456789');
  assert.equal(bearerMatches('Bearer s3cr3t-token-0123456789', token), true);
  for (const h of [undefined, '', 'Bearer', 'Bearer s3cr3t-token-012345678', 'Bearer s3cr3t-token-01234567890', 'Basic s3cr3t-token-0123456789', 'bearer s3cr3t-token-0123456789', 'Bearer s3cr3t-token-0123456789 x']) {
    assert.equal(bearerMatches(h, token), false, String(h));
  }
});

test('the token file must be private and hold a real token', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'metrics-token-'));
  const f = path.join(dir, 'token');
  writeFileSync(f, 'abcdefghijklmnopqrstuvwx\n', { mode: 0o600 });
  assert.equal(readMetricsToken(f).toString(), 'abcdefghijklmnopqrstuvwx');
  writeFileSync(path.join(dir, 'open'), 'abcdefghijklmnopqrstuvwx', { mode: 0o644 });
  assert.throws(() => readMetricsToken(path.join(dir, 'open')), /chmod 600/);
  writeFileSync(path.join(dir, 'short'), 'abc', { mode: 0o600 });
  assert.throws(() => readMetricsToken(path.join(dir, 'short')), /at least 16/);
});

test('--metrics-listen is refused off loopback (no authentication there); --metrics-period is a duration', () => {
  const base = ['node', 'cp', '--data-dir', '/tmp/x'];
  assert.throws(() => parseConfig([...base, '--metrics-listen', '0.0.0.0:9464'], {}), /--metrics-listen must be a loopback address/);
  assert.throws(() => parseConfig([...base, '--metrics-listen', '10.1.2.3:9464'], {}), /loopback/);
  const c = parseConfig([...base, '--metrics-listen', '127.0.0.1:9464', '--metrics-period', '2s'], {});
  assert.deepEqual(c.metrics, { periodMs: 2000, listen: { host: '127.0.0.1', port: 9464 } });
  assert.equal(parseConfig(base, {}).metrics?.periodMs, 10_000);
  assert.throws(() => parseConfig([...base, '--metrics-period', '0s'], {}), /--metrics-period/);
});
