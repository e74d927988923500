import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startTestControlPlane } from '../testing/harness';

// GET /metrics through a running control plane: the token on the API endpoint, the loopback listener.
const dir = mkdtempSync(path.join(tmpdir(), 'metrics-access-'));
const tokenFile = path.join(dir, 'token');
const TOKEN = 'prometheus-scrape-token-0123456789';
writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops) await s();
});

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { headers });
  return { status: res.status, text: await res.text() };
}

test('the API endpoint serves /metrics only with the bearer token; the loopback listener without; API calls are counted per action', async () => {
  const h = await startTestControlPlane({ metrics: { periodMs: 10_000, tokenFile, listen: { host: '127.0.0.1', port: 0 } } });
  stops.push(() => h.cp.stop());
  assert.equal((await h.call('ListClusters', {})).status, 200);
  assert.equal((await get(`${h.endpoint}/metrics`)).status, 401);
  assert.equal((await get(`${h.endpoint}/metrics`, { authorization: `Bearer ${TOKEN}x` })).status, 401);
  assert.equal((await get(`${h.endpoint}/metrics`, { authorization: `Basic ${TOKEN}` })).status, 401);
  const ok = await get(`${h.endpoint}/metrics`, { authorization: `Bearer ${TOKEN}` });
  assert.equal(ok.status, 200);
  assert.match(ok.text, /^stevedore_api_requests_total\{action="ListClusters",status="200"\} 1$/m);
  assert.match(ok.text, /^stevedore_connected_agents 0$/m);
  assert.match(ok.text, /^stevedore_sqlite_transaction_duration_seconds_count \d+$/m);
  const local = await get(`http://127.0.0.1:${h.cp.metricsPort}/metrics`);
  assert.equal(local.status, 200);
  assert.match(local.text, /stevedore_api_request_duration_seconds_bucket\{le="0\.005",action="ListClusters"\}/);
  assert.equal((await get(`http://127.0.0.1:${h.cp.metricsPort}/other`)).status, 404);
  // Unknown operations do not become label values.
  await h.call('NoSuchOperation', {});
  assert.match((await get(`http://127.0.0.1:${h.cp.metricsPort}/metrics`)).text, /stevedore_api_requests_total\{action="unknown",status="400"\} 1/);
});

test('without a token file, /metrics does not exist on the API endpoint', async () => {
  const h = await startTestControlPlane();
  stops.push(() => h.cp.stop());
  assert.equal((await get(`${h.endpoint}/metrics`, { authorization: `Bearer ${TOKEN}` })).status, 404);
});
