import * as grpc from '@grpc/grpc-js';
import {
  caCertHash,
  dispatcherClientCtor,
  generateKeyAndCsr,
  METADATA_INSTANCE_ID,
  METADATA_SESSION_ID,
  type JoinResponse,
  type RegisterRequest,
  type RegisterResponse,
  type RenewCertificateResponse,
  type SessionMessage,
  type UpdateTaskStatusRequest,
  type UpdateTaskStatusResponse,
  type GetTaskCredentialsResponse,
} from '@stevedore/proto';

type Client = grpc.Client & Record<string, (...args: any[]) => any>;

/** What a joined agent keeps on its host. */
export interface AgentCredentials {
  instanceId: string;
  cluster: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface JoinSource {
  caPem: string;
  /** A fresh join token for the cluster, made through the API. */
  token(cluster: string): Promise<string>;
}

/** In-process control planes by agent address, so `new FakeAgent(address)` can join by itself. */
const joinSources = new Map<string, JoinSource>();
/** Every identity joined in this process: a new FakeAgent registering with a known id is that agent restarted. */
const joinedCredentials = new Map<string, AgentCredentials>();

export function registerJoinSource(agentAddress: string, source: JoinSource): void {
  joinSources.set(agentAddress, source);
}

function unary<T>(client: Client, method: string, req: unknown, md: grpc.Metadata = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => client[method]!(req, md, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
}

/**
 * A fake agent speaking the real protocol over real gRPC and real mutual
 * TLS: enough to drive the dispatcher without Docker. `register` joins with
 * a fresh token first when the agent has no certificate yet; `join` and
 * `withoutCertificate` are there for the refusal tests.
 */
export class FakeAgent {
  instanceId = '';
  sessionId = '';
  readonly messages: SessionMessage[] = [];
  credentials: AgentCredentials | undefined;
  private channel: Client | undefined;
  private stream: grpc.ClientReadableStream<SessionMessage> | undefined;
  streamError: grpc.ServiceError | undefined;

  constructor(
    readonly address: string,
    opts: { credentials?: AgentCredentials } = {},
  ) {
    if (opts.credentials) this.useCredentials(opts.credentials);
  }

  /** mTLS once joined; before that TLS trusting the cluster CA without a client certificate (only Join passes). */
  get client(): Client {
    if (!this.channel) {
      const c = this.credentials;
      const ca = c?.caPem ?? joinSources.get(this.address)?.caPem;
      if (!ca) throw new Error(`no cluster CA known for ${this.address}: start the control plane with startTestControlPlane`);
      const creds = c ? grpc.credentials.createSsl(Buffer.from(ca), Buffer.from(c.keyPem), Buffer.from(c.certPem)) : grpc.credentials.createSsl(Buffer.from(ca));
      const Ctor = dispatcherClientCtor();
      this.channel = new Ctor(this.address, creds) as Client;
    }
    return this.channel;
  }

  /** Join with `token` (default: a fresh one from the control plane), pinning the CA like the real agent. */
  async join(opts: { cluster: string; token?: string; caCertHash?: string }): Promise<JoinResponse> {
    const source = joinSources.get(this.address);
    if (opts.caCertHash !== undefined && source && caCertHash(source.caPem) !== opts.caCertHash) throw new Error('the control plane CA does not match the pinned hash');
    const token = opts.token ?? (await source!.token(opts.cluster));
    const { keyPem, csrPem } = await generateKeyAndCsr();
    const res = await unary<JoinResponse>(this.client, 'Join', { token, cluster: opts.cluster, csr_pem: csrPem });
    this.useCredentials({ instanceId: res.instance_id, cluster: res.cluster, keyPem, certPem: res.certificate_pem, caPem: res.ca_pem });
    return res;
  }

  /** A new key and certificate for the same identity; later calls use them (a new connection). */
  async renewCertificate(): Promise<RenewCertificateResponse> {
    const c = this.credentials;
    if (!c) throw new Error('not joined');
    const { keyPem, csrPem } = await generateKeyAndCsr();
    const res = await unary<RenewCertificateResponse>(this.client, 'RenewCertificate', { csr_pem: csrPem }, this.metadata());
    this.useCredentials({ ...c, keyPem, certPem: res.certificate_pem, caPem: res.ca_pem });
    return res;
  }

  private useCredentials(c: AgentCredentials): void {
    this.credentials = c;
    this.instanceId = c.instanceId;
    joinedCredentials.set(c.instanceId, c);
    this.channel?.close();
    this.channel = undefined;
  }

  async register(req: Partial<RegisterRequest> & { cluster: string }): Promise<RegisterResponse> {
    if (!this.credentials) {
      const known = req.instance_id ? joinedCredentials.get(req.instance_id) : undefined;
      if (known) this.useCredentials(known);
      else await this.join({ cluster: req.cluster });
    }
    const full: RegisterRequest = {
      instance_id: '',
      ec2_instance_id: 'host-a',
      host_ip: '127.0.0.2',
      resources: { cpu: 2048, memory: 4096, ports: [22], ports_udp: [] },
      attributes: [{ name: 'ecs.availability-zone', value: 'local-a' }],
      agent_version: 'test',
      docker_version: '20.10',
      agent_hash: '',
      tags: [],
      ...req,
    };
    const res = await unary<RegisterResponse>(this.client, 'Register', full);
    this.instanceId = res.instance_id;
    return res;
  }

  metadata(): grpc.Metadata {
    const md = new grpc.Metadata();
    if (this.instanceId) md.set(METADATA_INSTANCE_ID, this.instanceId);
    if (this.sessionId) md.set(METADATA_SESSION_ID, this.sessionId);
    return md;
  }

  /** Registers, opens a session and waits for its first message (COMPLETE): an agent ready to be given tasks. */
  async connect(req: Partial<RegisterRequest> & { cluster: string }, timeoutMs = 5000): Promise<this> {
    await this.register(req);
    this.openSession();
    const stream = this.stream!;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no session message within ${timeoutMs} ms`)), timeoutMs);
      stream.once('data', () => (clearTimeout(timer), resolve()));
      stream.once('error', (e) => (clearTimeout(timer), reject(e)));
    });
    return this;
  }

  /** readsTaskSpec false: an agent from before the typed TaskSpec (it gets spec_json). */
  openSession(opts: { readsTaskSpec?: boolean } = {}): void {
    const md = new grpc.Metadata();
    md.set(METADATA_INSTANCE_ID, this.instanceId);
    this.stream = this.client['Session']!({ instance_id: this.instanceId, reads_task_spec: opts.readsTaskSpec ?? true }, md) as grpc.ClientReadableStream<SessionMessage>;
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
    return unary<UpdateTaskStatusResponse>(this.client, 'UpdateTaskStatus', { session_id: this.sessionId, updates }, this.metadata());
  }

  getTaskCredentials(taskArn: string, roleType = 'TaskApplication'): Promise<GetTaskCredentialsResponse> {
    return unary<GetTaskCredentialsResponse>(this.client, 'GetTaskCredentials', { task_arn: taskArn, role_type: roleType }, this.metadata());
  }

  heartbeat(): Promise<{ period_ms: number }> {
    return unary<{ period_ms: number }>(this.client, 'Heartbeat', { session_id: this.sessionId }, this.metadata());
  }

  close(): void {
    this.closeSession();
    this.channel?.close();
    this.channel = undefined;
  }
}
