import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { registerJoinSource } from './fake-agent';
import { ControlPlane } from '../control-plane';
import type { ControlPlaneConfig } from '../config';
import { rawCall, readCredentialsFile, type AccessKey } from './signed-client';
import { startPostgres, type PostgresServer } from './postgres-server';

/**
 * `STEVEDORE_TEST_STORE=postgres node --test packages/control-plane/dist/`
 * runs every in-process control plane of the suite on PostgreSQL (one server
 * per test process, a database per control plane): a sweep for SQL the
 * translator or a repository gets wrong on PostgreSQL. Tests that read
 * SQLite itself (PRAGMAs, sqlite_master) fail under it by design.
 */
let testPostgres: Promise<PostgresServer> | undefined;
async function testStoreLocation(): Promise<string | undefined> {
  if (process.env['STEVEDORE_TEST_STORE'] !== 'postgres') return undefined;
  testPostgres ??= startPostgres();
  return (await testPostgres).createDatabase();
}

/**
 * An in-process control plane on ephemeral ports with an in-memory store.
 * `call` signs with the admin key the control plane wrote on first start;
 * `callAs` signs with another key (or none, for refusal tests).
 */
export async function startTestControlPlane(
  opts: { auth?: Pick<ControlPlaneConfig, 'insecureDisableAuth' | 'apiRateLimit' | 'apiFailedAuthRateLimit'>; heartbeatPeriodMs?: number; dataDir?: string; instanceLostGraceSeconds?: number; orchestrator?: ControlPlaneConfig['orchestrator']; agentCertValidityMs?: number; agentJoinRateLimit?: ControlPlaneConfig['agentJoinRateLimit']; alarmEvaluationIntervalMs?: number; capacity?: ControlPlaneConfig['capacity']; autoscaling?: ControlPlaneConfig['autoscaling']; metrics?: ControlPlaneConfig['metrics'] } = {},
) {
  // With a data dir the file lives there, so a restarted control plane (which keeps its key) is still reachable.
  const credsDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sv-admin-'));
  const adminCredentialsFile = path.join(credsDir, 'admin-credentials');
  const store = opts.dataDir ? undefined : await testStoreLocation();
  const cp = new ControlPlane(
    {
      dataDir: opts.dataDir ?? ':memory:',
      ...(store ? { store } : {}),
      adminCredentialsFile,
      ...opts.auth,
      instanceLostGraceSeconds: opts.instanceLostGraceSeconds ?? 30,
      // Tests have no agents to wait for after a start; ticks come fast.
      orchestrator: { startupDelayMs: 0, ...opts.orchestrator },
      apiListen: { host: '127.0.0.1', port: 0 },
      agentListen: '127.0.0.1:0',
      region: 'us-east-1',
      account: '000000000000',
      logLevel: 'silent',
      heartbeatPeriodMs: opts.heartbeatPeriodMs ?? 3000,
      // Every FakeAgent joins from 127.0.0.1: only tests of the limit itself keep it low.
      agentJoinRateLimit: opts.agentJoinRateLimit ?? { perMinute: 60_000, burst: 1000 },
      ...(opts.agentCertValidityMs !== undefined ? { agentCertValidityMs: opts.agentCertValidityMs } : {}),
      ...(opts.alarmEvaluationIntervalMs !== undefined ? { alarmEvaluationIntervalMs: opts.alarmEvaluationIntervalMs } : {}),
      ...(opts.capacity ? { capacity: opts.capacity } : {}),
      ...(opts.autoscaling !== undefined ? { autoscaling: opts.autoscaling } : {}),
      ...(opts.metrics ? { metrics: opts.metrics } : {}),
    },
    pino({ level: 'silent' }),
  );
  await cp.start();
  // FakeAgents of this control plane join with tokens made through its API, as real agents do.
  registerJoinSource(`127.0.0.1:${cp.agentPort}`, {
    caPem: cp.store.agentPki.caCertificate()!,
    token: async (cluster) => {
      const r = await call('CreateJoinToken', { cluster }, 'Stevedore_20261125.CreateJoinToken');
      if (r.status !== 200) throw new Error(`CreateJoinToken failed: ${JSON.stringify(r.body)}`);
      return r.body['token'] as string;
    },
  });
  const endpoint = `http://127.0.0.1:${cp.apiPort}`;
  const admin: AccessKey | undefined = opts.auth?.insecureDisableAuth ? undefined : readCredentialsFile(adminCredentialsFile);
  if (!opts.dataDir) fs.rmSync(credsDir, { recursive: true, force: true });
  const callAs = async (credentials: AccessKey | undefined, op: string, body: unknown = {}, target = `AmazonEC2ContainerServiceV20141113.${op}`) => {
    const res = await rawCall(endpoint, { target, body: typeof body === 'string' ? body : JSON.stringify(body), ...(credentials ? { credentials } : {}) });
    return { status: res.status, body: res.body };
  };
  const call = (op: string, body: unknown = {}, target?: string) => callAs(admin, op, body, target);
  return { cp, endpoint, call, callAs, admin, agentAddress: `127.0.0.1:${cp.agentPort}` };
}

export { FakeAgent, type AgentCredentials } from './fake-agent';

export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await fn();
    if (last) return last as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
