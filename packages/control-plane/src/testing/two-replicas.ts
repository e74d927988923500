import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { ControlPlane } from '../control-plane';
import { registerJoinSource } from './fake-agent';
import { startPostgres } from './postgres-server';
import { replicaTestConfig } from './replica-config';
import { rawCall, readCredentialsFile } from './signed-client';

/**
 * Two control-plane replicas (A, B) on one throwaway PostgreSQL database,
 * for the relay tests: agents join through A (its join source is
 * registered), calls go to either with the admin key. Replicas share one
 * data dir here (one master key, one CA, one admin key); agents join freely.
 */
export interface TwoReplicas {
  a: ControlPlane;
  b: ControlPlane;
  onA: string;
  onB: string;
  /** The admin access key (credentials for rawCall). */
  admin: ReturnType<typeof readCredentialsFile>;
  /** A signed admin call of `target` (`Service.Operation`) on `endpoint`. */
  call(endpoint: string, target: string, body: unknown): ReturnType<typeof rawCall>;
  /** Stops both replicas and the database server, and removes the data dir. */
  stop(): Promise<void>;
}

export async function startTwoReplicas(dataDirPrefix: string): Promise<TwoReplicas> {
  const server = await startPostgres();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), dataDirPrefix));
  const store = await server.createDatabase();
  const config = (id: string) => replicaTestConfig(dataDir, id, { store, agentJoinRateLimit: { perMinute: 60_000, burst: 1000 } });
  const a = new ControlPlane(config('replica-a'), pino({ level: 'silent' }));
  await a.start();
  const b = new ControlPlane(config('replica-b'), pino({ level: 'silent' }));
  await b.start();
  const admin = readCredentialsFile(path.join(dataDir, 'admin-credentials'));
  const onA = `http://127.0.0.1:${a.apiPort}`;
  const onB = `http://127.0.0.1:${b.apiPort}`;
  const call = async (endpoint: string, target: string, body: unknown) => rawCall(endpoint, { target, body: JSON.stringify(body), credentials: admin });
  registerJoinSource(`127.0.0.1:${a.agentPort}`, {
    caPem: a.store.agentPki.caCertificate()!,
    token: async (cluster) => (await call(onA, 'Stevedore_20261125.CreateJoinToken', { cluster })).body['token'] as string,
  });
  return {
    a,
    b,
    onA,
    onB,
    admin,
    call,
    async stop() {
      await b.stop();
      await a.stop();
      await server.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
