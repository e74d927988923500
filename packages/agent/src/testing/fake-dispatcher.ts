import { EventEmitter } from 'node:events';
import {
  dispatcherService,
  grpc,
  identityFromSubjectAltName,
  METADATA_INSTANCE_ID,
  METADATA_SESSION_ID,
  toWireAssignment,
  type LogChunk,
  type RegisterRequest,
  type SessionMessage,
  type WireTaskStatus,
} from '@stevedore/proto';
import type { TaskAssignment } from '@stevedore/core/host';
import type { TestCa } from './test-pki';

/**
 * A tiny in-process control plane speaking the real Dispatcher proto on
 * 127.0.0.1, for session, reporter and log tests. Tests drive it (push
 * messages, fail calls) and read what it recorded.
 */
export interface RecordedCall {
  method: string;
  instanceId: string | undefined;
  sessionId: string | undefined;
  /** Instance id of the client certificate the call came with (TLS mode). */
  peer: string | undefined;
}

export class FakeDispatcher extends EventEmitter {
  private readonly server = new grpc.Server();
  port = 0;
  readonly calls: RecordedCall[] = [];
  readonly registrations: RegisterRequest[] = [];
  readonly statusUpdates: WireTaskStatus[][] = [];
  readonly logs: LogChunk[][] = [];
  streams: grpc.ServerWritableStream<unknown, SessionMessage>[] = [];
  private seq = 0;
  private sessionCounter = 0;
  assignments: TaskAssignment[] = [];
  heartbeatPeriodMs = 50;
  /** Make the next calls of a method fail with this error. */
  registerError: { code: grpc.status; details: string } | undefined;
  sessionError: { code: grpc.status; details: string } | undefined;
  heartbeatError: { code: grpc.status; details: string } | undefined;
  updateError: ((updates: WireTaskStatus[]) => { code: grpc.status; details: string } | undefined) | undefined;
  /** Which task ARNs UpdateTaskStatus reports as applied (default: all). */
  applies: (arn: string) => boolean = () => true;
  currentSessionId: string | undefined;
  /** Id handed to an agent registering for the first time. */
  newInstanceId = 'inst-1';
  /** TLS mode: tokens Join accepts, and the lifetime of the certificates it and RenewCertificate issue. */
  readonly joinTokens = new Set<string>();
  certValidityMs = 3600_000;
  renewError: { code: grpc.status; details: string } | undefined;
  private ca: TestCa | undefined;

  private peerOf(call: { getAuthContext?: () => { sslPeerCertificate?: { subjectaltname?: string } } | null }): string | undefined {
    return identityFromSubjectAltName(call.getAuthContext?.()?.sslPeerCertificate?.subjectaltname)?.instanceId;
  }

  /** `tls`: serve with this CA, like the control plane (Join + RenewCertificate work); default plaintext. */
  async start(opts: { tls?: TestCa } = {}): Promise<void> {
    this.ca = opts.tls;
    this.server.addService(dispatcherService(), {
      Join: (call: grpc.ServerUnaryCall<{ token: string; cluster: string; csr_pem: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.record('Join', call.metadata, call);
        if (!this.ca) return cb({ code: grpc.status.UNIMPLEMENTED, details: 'no TLS' });
        if (!this.joinTokens.has(call.request.token)) return cb({ code: grpc.status.UNAUTHENTICATED, details: 'invalid join token' });
        const id = { cluster: call.request.cluster, instanceId: this.newInstanceId };
        this.ca.signCsr(call.request.csr_pem, id, this.certValidityMs).then(
          (pem) => cb(null, { instance_id: id.instanceId, certificate_pem: pem, ca_pem: this.ca!.caPem, cluster: id.cluster }),
          (e: Error) => cb({ code: grpc.status.INVALID_ARGUMENT, details: e.message }),
        );
      },
      RenewCertificate: (call: grpc.ServerUnaryCall<{ csr_pem: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.record('RenewCertificate', call.metadata, call);
        if (this.renewError) return cb(this.renewError);
        const san = call.getAuthContext?.()?.sslPeerCertificate?.subjectaltname;
        const id = identityFromSubjectAltName(san);
        if (!this.ca || !id) return cb({ code: grpc.status.UNAUTHENTICATED, details: 'a client certificate is required' });
        this.ca.signCsr(call.request.csr_pem, id, this.certValidityMs).then(
          (pem) => {
            cb(null, { certificate_pem: pem, ca_pem: this.ca!.caPem });
            this.emit('renewed', pem);
          },
          (e: Error) => cb({ code: grpc.status.INVALID_ARGUMENT, details: e.message }),
        );
      },
      Register: (call: grpc.ServerUnaryCall<RegisterRequest, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.record('Register', call.metadata, call);
        this.registrations.push(call.request);
        if (this.registerError) return cb(this.registerError);
        const id = call.request.instance_id || this.newInstanceId;
        cb(null, { instance_id: id, container_instance_arn: `arn:aws:ecs:us-east-1:000000000000:container-instance/${call.request.cluster}/${id}` });
      },
      Session: (call: grpc.ServerWritableStream<unknown, SessionMessage>) => {
        this.record('Session', call.metadata, call);
        if (this.sessionError) {
          call.emit('error', this.sessionError);
          return;
        }
        this.currentSessionId = `s-${++this.sessionCounter}`;
        for (const s of this.streams) s.end();
        this.streams = [call];
        this.seq++;
        call.write(this.message('COMPLETE', { assignments: this.assignments }));
        this.emit('session', call);
      },
      Heartbeat: (call: grpc.ServerUnaryCall<{ session_id: string }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.record('Heartbeat', call.metadata, call);
        if (this.heartbeatError) return cb(this.heartbeatError);
        if (call.request.session_id !== this.currentSessionId) return cb({ code: grpc.status.NOT_FOUND, details: 'session superseded' });
        cb(null, { period_ms: this.heartbeatPeriodMs });
        this.emit('heartbeat');
      },
      UpdateTaskStatus: (call: grpc.ServerUnaryCall<{ session_id: string; updates: WireTaskStatus[] }, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.record('UpdateTaskStatus', call.metadata, call);
        const err = this.updateError?.(call.request.updates);
        if (err) return cb(err);
        this.statusUpdates.push(call.request.updates);
        cb(null, { applied: call.request.updates.map((u) => u.task_arn).filter((a) => this.applies(a)) });
        this.emit('update');
      },
      PushLogs: (call: grpc.ServerReadableStream<LogChunk, unknown>, cb: grpc.sendUnaryData<unknown>) => {
        this.record('PushLogs', call.metadata, call);
        const chunks: LogChunk[] = [];
        this.logs.push(chunks);
        call.on('data', (c: LogChunk) => chunks.push(c));
        call.on('end', () => {
          cb(null, {});
          this.emit('logs', chunks);
        });
      },
    });
    const credentials = opts.tls ? await opts.tls.serverCredentials() : grpc.ServerCredentials.createInsecure();
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', credentials, (err, port) => (err ? reject(err) : resolve(port))),
    );
  }

  get target(): string {
    return `127.0.0.1:${this.port}`;
  }

  private record(method: string, md: grpc.Metadata, call: Parameters<FakeDispatcher['peerOf']>[0]): void {
    const get = (k: string) => (md.get(k)[0] as string | undefined) ?? undefined;
    this.calls.push({ method, instanceId: get(METADATA_INSTANCE_ID), sessionId: get(METADATA_SESSION_ID), peer: this.peerOf(call) });
  }

  message(type: 'COMPLETE' | 'INCREMENTAL', over: Partial<Omit<SessionMessage, 'assignments'>> & { assignments?: TaskAssignment[] } = {}): SessionMessage {
    const { assignments, ...rest } = over;
    return {
      type,
      session_id: this.currentSessionId ?? '',
      applies_to: type === 'COMPLETE' ? 0 : this.seq - 1,
      results_in: this.seq,
      assignments: (assignments ?? []).map((a) => toWireAssignment(a)),
      load_balancers: null,
      removed: [],
      heartbeat_period_ms: this.heartbeatPeriodMs,
      log_requests: [],
      exec_requests: [],
      ...rest,
    };
  }

  /** Sends an INCREMENTAL in sequence (or out of it with `appliesTo`). */
  incremental(over: Partial<Omit<SessionMessage, 'assignments'>> & { assignments?: TaskAssignment[] } = {}): void {
    this.seq++;
    this.streams[0]!.write(this.message('INCREMENTAL', over));
  }

  endStream(): void {
    for (const s of this.streams) s.end();
    this.streams = [];
  }

  next(event: string, timeoutMs = 5000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fake dispatcher: no ${event} within ${timeoutMs}ms`)), timeoutMs);
      this.once(event, (v: unknown) => {
        clearTimeout(t);
        resolve(v);
      });
    });
  }

  async stop(): Promise<void> {
    this.endStream();
    await new Promise<void>((r) => this.server.tryShutdown(() => r()));
    this.server.forceShutdown();
  }
}
