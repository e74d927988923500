import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import * as grpc from '@grpc/grpc-js';
import {
  dispatcherClientCtor,
  METADATA_INSTANCE_ID,
  METADATA_SESSION_ID,
  type RegisterRequest,
  type RegisterResponse,
  type SessionMessage,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
} from '@stevedore/proto';
import { ControlPlane } from '../control-plane';
import type { ControlPlaneConfig } from '../config';
import { rawCall, readCredentialsFile, type AccessKey } from './signed-client';

/**
 * An in-process control plane on ephemeral ports with an in-memory store.
 * `call` signs with the admin key the control plane wrote on first start;
 * `callAs` signs with another key (or none, for refusal tests).
 */
export async function startTestControlPlane(
  opts: { auth?: Pick<ControlPlaneConfig, 'insecureDisableAuth' | 'apiRateLimit' | 'apiFailedAuthRateLimit'>; heartbeatPeriodMs?: number; dataDir?: string; instanceLostGraceSeconds?: number; orchestrator?: ControlPlaneConfig['orchestrator'] } = {},
) {
  // With a data dir the file lives there, so a restarted control plane (which keeps its key) is still reachable.
  const credsDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sv-admin-'));
  const adminCredentialsFile = path.join(credsDir, 'admin-credentials');
  const cp = new ControlPlane(
    {
      dataDir: opts.dataDir ?? ':memory:',
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
    },
    pino({ level: 'silent' }),
  );
  await cp.start();
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

type Client = grpc.Client & Record<string, (...args: any[]) => any>;

/**
 * A fake agent speaking the real protocol over real gRPC: enough to drive the
 * dispatcher without Docker.
 */
export class FakeAgent {
  readonly client: Client;
  instanceId = '';
  sessionId = '';
  readonly messages: SessionMessage[] = [];
  private stream: grpc.ClientReadableStream<SessionMessage> | undefined;
  streamError: grpc.ServiceError | undefined;

  constructor(address: string) {
    const Ctor = dispatcherClientCtor();
    this.client = new Ctor(address, grpc.credentials.createInsecure()) as Client;
  }

  register(req: Partial<RegisterRequest> & { cluster: string }): Promise<RegisterResponse> {
    const full: RegisterRequest = {
      instance_id: '',
      ec2_instance_id: 'host-a',
      host_ip: '127.0.0.2',
      resources: { cpu: 2048, memory: 4096, ports: [22], ports_udp: [] },
      attributes: [{ name: 'ecs.availability-zone', value: 'local-a' }],
      agent_version: 'test',
      docker_version: '20.10',
      ...req,
    };
    return new Promise((resolve, reject) =>
      this.client['Register']!(full, (err: grpc.ServiceError | null, res: RegisterResponse) => {
        if (err) return reject(err);
        this.instanceId = res.instance_id;
        resolve(res);
      }),
    );
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, this.instanceId);
    if (this.sessionId) md.set(METADATA_SESSION_ID, this.sessionId);
    return md;
  }

  openSession(): void {
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, this.instanceId);
    this.stream = this.client['Session']!({ instance_id: this.instanceId }, md) as grpc.ClientReadableStream<SessionMessage>;
    this.stream.on('data', (m: SessionMessage) => {
      this.sessionId = m.session_id;
      this.messages.push(m);
    });
    this.stream.on('error', (e: grpc.ServiceError) => {
      this.streamError = e;
    });
  }

  closeSession(): void {
    this.stream?.cancel();
  }

  update(updates: UpdateTaskStatusRequest['updates']): Promise<UpdateTaskStatusResponse> {
    return new Promise((resolve, reject) =>
      this.client['UpdateTaskStatus']!({ session_id: this.sessionId, updates }, this.metadata(), (err: grpc.ServiceError | null, res: UpdateTaskStatusResponse) =>
        err ? reject(err) : resolve(res),
      ),
    );
  }

  heartbeat(): Promise<{ period_ms: number }> {
    return new Promise((resolve, reject) =>
      this.client['Heartbeat']!({ session_id: this.sessionId }, this.metadata(), (err: grpc.ServiceError | null, res: { period_ms: number }) =>
        err ? reject(err) : resolve(res),
      ),
    );
  }

  close(): void {
    this.closeSession();
    this.client.close();
  }
}

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
