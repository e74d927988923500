import * as os from 'node:os';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import { systemClock, type ArnContext, type Clock } from '@stevedore/core';
import { Store } from './store/store';
import { PostgresDb } from './store/backend/postgres-db';
import { createConsoleRoute, defaultConsoleDir } from './api/console-route';
import { createApiServer, type ApiServer } from './api/server';
import { Dispatcher, DEFAULT_DISPATCHER_OPTIONS } from './dispatcher/dispatcher';
import { DEFAULT_LOG_BROKER_OPTIONS, LogBroker } from './logs/log-broker';
import type { ControlPlaneConfig } from './config';
import { ClusterCa } from './pki/cluster-ca';
import { ServerCertificateProvider, serverSubjectAltNames } from './pki/server-credentials';
import { Enrollment } from './dispatcher/enrollment';
import { ApiCertificate, writeCaBundle, type ApiCertificateSource } from './pki/api-certificate';

/** Agents renew at 2/3, so a week-long certificate survives a control plane outage of two days. */
export const DEFAULT_AGENT_CERT_VALIDITY_MS = 7 * 24 * 3600_000;
import { isWildcardHost, ReplicaRelay, RELAY_KEY_LABEL } from './relay/replica-relay';
import { replicaRelayRoute } from './api/replica-relay-route';
import { createApiAuth, openSecretBox, prepareAdminAccess } from './api-auth-setup';
import { LOG_REDACTION } from './log-redaction';
import { PrometheusMetrics } from './metrics/prometheus';
import { apiMetricsRoute, createMetricsServer, readMetricsToken } from './metrics/metrics-endpoint';
import { actionFor, QUERY_SERVICES, REST_JSON_SERVICES } from './api/router';
import { DEFAULT_EXEC_RELAY_OPTIONS, ExecRelay } from './exec/exec-relay';
import { attachExecStreams } from './api/exec-stream';
import { ExecStreamForwarder } from './exec/exec-stream-forward';
import { scheduleLauncher } from './schedule-launch';
import type { LaunchAs } from './schedules/schedule-runner';
import type * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import type { ServiceReconciler } from './orchestrator/service-reconciler';
import type { MetricPublisher } from './metrics/metric-publisher';
import { LeaderRoles } from './leader-roles';
import { DEFAULT_LEADER_ELECTION_OPTIONS, disconnectOrphanedSessions, LeaderElection, leaderElectionOptions, type Term } from './leadership/leader-election';
import { readinessRoute } from './leadership/readiness';

/** Wiring and start/stop order of the control plane's roles. */
export class ControlPlane {
  readonly store: Store;
  readonly dispatcher: Dispatcher;
  /** This process among the replicas sharing the store: the lease holder's name (unique per process). */
  readonly replicaId: string;
  /** GetTaskLogs through the replica holding an agent's session; absent without a master key (in-memory). */
  readonly relay: ReplicaRelay | undefined;
  private election: LeaderElection | undefined;
  /** The leader-only roles of the current term; undefined while following. */
  private leaderRoles: LeaderRoles | undefined;
  /** Roles of ended terms still finishing an in-flight batch (awaited on stop). */
  private rolesStopping: Promise<void> = Promise.resolve();
  private api: ApiServer | undefined;
  private readonly exec: ExecRelay;
  private execStreams: { closeAll(): void } | undefined;
  private readonly scheduleLaunch: LaunchAs;
  /** The cluster's figures and the control plane's own health, for Prometheus. */
  readonly prometheus: PrometheusMetrics;
  private metricsServer: http.Server | undefined;
  /** Port of --metrics-listen once listening. */
  metricsPort = 0;
  private apiCert: ApiCertificate | undefined;
  /** `http` or `https`: how clients reach the API. */
  readonly apiProtocol: 'http' | 'https';
  /** PEM clients verify the API with when the cluster CA issued its certificate (also in <data-dir>/api-ca.pem). */
  apiCaBundle: string | undefined;
  apiPort = 0;
  agentPort = 0;
  private serverCert: ServerCertificateProvider | undefined;
  /** `sha256:<hex>` of the agent channel CA: what agents pin when they join. */
  caCertHash = '';

  constructor(private readonly config: ControlPlaneConfig, readonly log: Logger = pino({ level: config.logLevel, redact: LOG_REDACTION }), clock: Clock = systemClock) {
    const arn: ArnContext = { region: config.region, account: config.account };
    const secretBox = openSecretBox(config);
    const storeLog = log.child({ component: 'store' });
    this.store = Store.open(config.store ?? (config.dataDir === ':memory:' ? ':memory:' : path.join(config.dataDir, 'stevedore.db')), clock, arn, {
      ...(secretBox ? { secretBox } : {}),
      onListenerError: (err, change) => storeLog.error({ err, change }, 'a change listener failed; the write it follows is committed'),
    });
    // Replicas on one PostgreSQL database hear each other's commits through it (store/backend/postgres-db.ts).
    this.store.onChangeListener = (state, error) =>
      state === 'connected' ? storeLog.info('listening for changes committed by other replicas') : storeLog.warn({ error }, 'change notifications from other replicas interrupted; reconnecting, then catching up');
    // Each bridge call blocks the event loop: a long one stalls every connection of this replica (heartbeats, the lease), so it is logged with its SQL.
    if (this.store.db instanceof PostgresDb)
      this.store.db.onSlowCall = (c) => storeLog.warn({ request: c.id, statement: c.statement, ms: c.ms, sleeps: c.slices, ...(c.error ? { error: c.error } : {}) }, 'a PostgreSQL call blocked this replica');
    this.store.onChangeGap = () => storeLog.warn('changes of other replicas were pruned before this replica read them; the periodic resyncs restore what they missed');
    const logs = new LogBroker({ maxStreamsPerInstance: config.maxLogStreamsPerInstance ?? DEFAULT_LOG_BROKER_OPTIONS.maxStreamsPerInstance });
    this.replicaId = config.replicaId ?? `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    // Replicas share the master key (docs/design/high-availability.md), so a key derived from it authenticates one replica to another.
    const relayKey = secretBox?.deriveKey(RELAY_KEY_LABEL);
    this.exec = new ExecRelay(this.store, log.child({ component: 'exec' }), DEFAULT_EXEC_RELAY_OPTIONS, relayKey ? { replicaId: this.replicaId, key: relayKey } : undefined);
    this.dispatcher = new Dispatcher(this.store, arn, logs, log.child({ component: 'dispatcher' }), {
      ...DEFAULT_DISPATCHER_OPTIONS,
      replicaId: this.replicaId,
      heartbeatPeriodMs: config.heartbeatPeriodMs,
      ...(config.taskCredentialsTtlSeconds !== undefined ? { taskCredentialsTtlMs: config.taskCredentialsTtlSeconds * 1000 } : {}),
    }, this.exec);
    this.apiProtocol = (config.apiTls?.mode ?? 'http') === 'http' ? 'http' : 'https';
    const prom = new PrometheusMetrics(() => this.store.instances.connected().length);
    this.prometheus = prom;
    this.store.observeTx = (s) => prom.sqliteTxDuration.observe(s);
    const metricsToken = config.metrics?.tokenFile ? readMetricsToken(config.metrics.tokenFile) : undefined;
    this.relay = relayKey ? new ReplicaRelay(this.store, this.replicaId, relayKey, log.child({ component: 'relay', replica: this.replicaId })) : undefined;
    const apiCtx = { store: this.store, clock, arn, log: log.child({ component: 'api' }), logs, random: Math.random, exec: this.exec, streamScheme: this.apiProtocol === 'https' ? ('wss' as const) : ('ws' as const), ...(this.relay ? { relay: this.relay } : {}) };
    const apiAuth = createApiAuth(this.store, config, log);
    // The schedule runner (a leader role) launches through the API's RunTask, as each schedule's role.
    this.scheduleLaunch = scheduleLauncher(apiCtx, apiAuth, arn);
    this.api = createApiServer(
      apiCtx,
      {
        auth: apiAuth,
        tls: this.apiProtocol === 'https',
        metricsRoute: apiMetricsRoute(prom, metricsToken),
        readinessRoute: readinessRoute(() => this.election?.status),
        relayRoute: replicaRelayRoute(relayKey, logs, this.exec, log.child({ component: 'relay', replica: this.replicaId }), () => Date.now()),
        consoleRoute: createConsoleRoute(defaultConsoleDir()),
        onRequest: (target, status, seconds) => {
          // Only known operations become label values: a client must not be able to mint series.
          const action = knownOperation(target);
          prom.apiRequests.inc({ action, status: String(status) });
          prom.apiDuration.observe({ action }, seconds);
        },
      },
    );
    const execLog = log.child({ component: 'exec' });
    this.execStreams = attachExecStreams(this.api, this.exec, execLog, this.relay && relayKey ? { forwarder: new ExecStreamForwarder(this.relay, execLog), key: relayKey, now: () => Date.now() } : undefined);
  }

  /** ECS Exec sessions not ended (diagnostics, tests). */
  execSessionsOpen(): number {
    return this.exec.openSessions();
  }

  async start(): Promise<void> {
    prepareAdminAccess(this.store, this.config, this.log);
    const { ca, created } = await ClusterCa.loadOrCreate(this.config.dataDir === ':memory:' ? undefined : path.join(this.config.dataDir, 'pki'));
    this.caCertHash = ca.caCertHash;
    this.store.tx(() => {
      const stored = this.store.agentPki.caCertificate();
      if (stored !== undefined && stored !== ca.caPem) {
        // Several replicas share one CA (docs/design/high-availability.md): a replica with another one must not replace it under the others.
        const now = this.store.clock.now();
        const others = this.store.leadership.replicas().filter((r) => r.id !== this.replicaId && now - r.lastSeenAt < 2 * (this.config.leaderLeaseTtlMs ?? DEFAULT_LEADER_ELECTION_OPTIONS.ttlMs));
        if (others.length > 0) {
          throw new Error(
            `this replica's agent channel CA (${path.join(this.config.dataDir, 'pki')}) is not the cluster's, which replicas ${others.map((r) => r.id).join(', ')} use: copy pki/ca.key, pki/ca.crt and keys/master.key from an existing replica's data dir (docs/design/high-availability.md)`,
          );
        }
        this.log.warn('the agent channel CA changed (no other replica is running): every agent must join again');
      }
      this.store.agentPki.setCaCertificate(ca.caPem);
    });
    this.log.info({ caCertHash: ca.caCertHash, created }, 'agent channel CA ready (agents join with a token and this hash)');
    const listenHost = /^(.*):\d+$/.exec(this.config.agentListen)?.[1] ?? '';
    this.serverCert = new ServerCertificateProvider(ca, serverSubjectAltNames(listenHost, this.config.agentCertSans ?? []), this.log.child({ component: 'pki' }));
    await this.serverCert.start();
    const enrollment = new Enrollment(this.store, ca, this.config.agentCertValidityMs ?? DEFAULT_AGENT_CERT_VALIDITY_MS, this.log.child({ component: 'enrollment' }), this.config.agentJoinRateLimit);
    this.agentPort = await this.dispatcher.start(this.config.agentListen, { credentials: this.serverCert.credentials(), enrollment });
    const agentEndpoint = this.agentEndpoint();
    this.store.tx(() => {
      // We hold this agent address now: a replica row naming it is a previous process of ours (killed), whose sessions died with it.
      for (const r of this.store.leadership.replicas()) if (r.id !== this.replicaId && r.agentEndpoint === agentEndpoint) this.store.leadership.removeReplica(r.id);
      // Sessions of replicas that are gone did not survive: those agents count as disconnected until they dial again.
      // Sessions of live replicas are theirs; the leader disconnects those of a replica that dies without a goodbye.
      const n = disconnectOrphanedSessions(this.store, this.store.clock.now());
      if (n > 0) this.log.info({ instances: n }, 'agent sessions of stopped replicas marked disconnected');
    });
    if (this.config.metrics?.listen) {
      const { host, port } = this.config.metrics.listen;
      const server = createMetricsServer(this.prometheus);
      this.metricsServer = server;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const addr = server.address();
      this.metricsPort = typeof addr === 'object' && addr ? addr.port : port;
      this.log.info({ metrics: `http://${host}:${this.metricsPort}/metrics` }, 'Prometheus metrics listening (loopback, no authentication)');
    }
    const api = this.api!;
    await this.prepareApiTls(api, ca);
    this.relay?.trustClusterCa(ca.caPem);
    await new Promise<void>((resolve, reject) => {
      api.once('error', reject);
      api.listen(this.config.apiListen.port, this.config.apiListen.host, () => {
        api.off('error', reject);
        resolve();
      });
    });
    const addr = api.address();
    this.apiPort = typeof addr === 'object' && addr ? addr.port : this.config.apiListen.port;
    // Last: the replica row names both listeners, and a lone replica leads once this returns.
    const apiEndpoint = this.apiEndpoint();
    if (!this.config.apiAdvertise && isWildcardHost(this.config.apiListen.host)) {
      this.log.warn(
        { api: apiEndpoint },
        'the API listens on a wildcard address and --api-advertise is not set: other replicas cannot reach this one, so log reads and exec sessions of agents connected here fail through them; set --api-advertise HOST:PORT',
      );
    }
    const election = new LeaderElection(
      this.store,
      { id: this.replicaId, apiEndpoint, agentEndpoint },
      { elected: (term) => this.startLeaderRoles(term), deposed: () => this.stopLeaderRoles() },
      this.log.child({ component: 'leadership', replica: this.replicaId }),
      this.config.leaderLeaseTtlMs !== undefined ? leaderElectionOptions(this.config.leaderLeaseTtlMs) : DEFAULT_LEADER_ELECTION_OPTIONS,
    );
    this.election = election;
    election.start();
    this.log.info({ api: `${this.apiProtocol}://${this.config.apiListen.host}:${this.apiPort}`, ...(this.config.apiAdvertise ? { apiAdvertise: apiEndpoint } : {}), agent: this.config.agentListen, agentPort: this.agentPort, dataDir: this.config.dataDir, store: this.store.db.dialect, replica: this.replicaId, leader: election.status.leader }, 'control plane started');
  }

  /** The service orchestrator of the current term (tests and benchmarks read its stats); throws on a follower. */
  get orchestrator(): ServiceReconciler {
    return this.currentLeaderRoles().orchestrator;
  }

  /** The metrics role of the current term; throws on a follower. */
  get metrics(): MetricPublisher {
    return this.currentLeaderRoles().metrics;
  }

  /** Leadership as /ready reports it (undefined before start). */
  get leadership(): import('./leadership/leader-election').LeadershipStatus | undefined {
    return this.election?.status;
  }

  private currentLeaderRoles(): LeaderRoles {
    if (!this.leaderRoles) throw new Error(`replica ${this.replicaId} is not the leader: its reconcile loops are not running`);
    return this.leaderRoles;
  }

  private startLeaderRoles(term: Term): void {
    const store = this.store.fenced(() => this.store.leadership.assertTerm(term.holder, term.epoch));
    // Placement state cached from before this term may miss what other replicas wrote meanwhile.
    this.store.clusterState.invalidate();
    const roles = new LeaderRoles({
      store,
      config: this.config,
      log: this.log.child({ epoch: term.epoch }),
      clock: this.store.clock,
      arn: { region: this.config.region, account: this.config.account },
      prometheus: this.prometheus,
      joinEndpoint: () => this.joinEndpoint(),
      scheduleLaunch: this.scheduleLaunch,
    });
    roles.start();
    this.leaderRoles = roles;
    this.prometheus.leader.set(1);
    this.prometheus.leaderEpoch.set(term.epoch);
    this.prometheus.leaderTerms.inc();
  }

  private stopLeaderRoles(): void {
    const roles = this.leaderRoles;
    this.leaderRoles = undefined;
    this.prometheus.leader.set(0);
    if (!roles) return;
    const stopped = roles.stop().catch((err: unknown) => this.log.error({ err }, 'a leader role failed while stopping'));
    this.rolesStopping = Promise.all([this.rolesStopping, stopped]).then(() => undefined);
  }

  /** Where other replicas reach this API (its liveness row): --api-advertise, else the listen address (a wildcard stays one: relays to it are refused, clearly). */
  private apiEndpoint(): string {
    const { host, port } = this.config.apiAdvertise ?? { host: this.config.apiListen.host, port: this.apiPort };
    return `${this.apiProtocol}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** This replica's agent channel as its liveness row names it: a wildcard listen is named by the host (one process per address and host). */
  private agentEndpoint(): string {
    const host = /^(.*):\d+$/.exec(this.config.agentListen)?.[1] ?? '';
    const wildcard = host === '' || host === '0.0.0.0' || host === '[::]' || host === '::';
    return `${wildcard ? os.hostname() : host}:${this.agentPort}`;
  }

  /** What new hosts of host groups dial: --agent-advertise, else the agent listen address (a wildcard read as 127.0.0.1). */
  private joinEndpoint(): { controlPlane: string; caCertHash: string } {
    const advertised = this.config.capacity?.agentAdvertise;
    if (advertised) return { controlPlane: advertised, caCertHash: this.caCertHash };
    const host = /^(.*):\d+$/.exec(this.config.agentListen)?.[1] ?? '127.0.0.1';
    const dial = host === '' || host === '0.0.0.0' || host === '[::]' || host === '::' ? '127.0.0.1' : host;
    return { controlPlane: `${dial}:${this.agentPort}`, caCertHash: this.caCertHash };
  }

  /**
   * HTTPS off loopback (see config.ts apiTlsOf): operator files, or a
   * certificate the cluster CA issues for the listen address, whose CA goes
   * to <data-dir>/api-ca.pem for clients (--ca-bundle, AWS_CA_BUNDLE).
   */
  private async prepareApiTls(api: ApiServer, ca: ClusterCa): Promise<void> {
    const tls = this.config.apiTls ?? { mode: 'http' };
    const where = `${this.config.apiListen.host}:${this.config.apiListen.port}`;
    if (tls.mode === 'http') {
      if (tls.insecure) this.log.warn({ api: where }, 'the API serves PLAIN HTTP on a non-loopback address (--insecure-http): requests, replies and secrets read through it travel in clear');
      return;
    }
    let source: ApiCertificateSource;
    if (tls.mode === 'files') {
      source = { kind: 'files', certFile: tls.certFile, keyFile: tls.keyFile };
    } else {
      const host = this.config.apiListen.host;
      const wildcard = host === '' || host === '0.0.0.0' || host === '::';
      // A wildcard listen is reachable as localhost too: name it, as clients on the host will dial it.
      // Other replicas dial the advertised name for relays: the certificate names it too.
      const advertised = this.config.apiAdvertise ? [this.config.apiAdvertise.host] : [];
      source = { kind: 'cluster-ca', ca, sans: serverSubjectAltNames(host, [...(wildcard ? ['127.0.0.1', 'localhost'] : []), ...advertised, ...(this.config.apiCertSans ?? [])]) };
      this.apiCaBundle = ca.caPem;
      if (this.config.dataDir !== ':memory:') writeCaBundle(path.join(this.config.dataDir, 'api-ca.pem'), ca.caPem);
    }
    const server = api as import('node:https').Server;
    this.apiCert = new ApiCertificate(source, (identity) => server.setSecureContext(identity), this.log.child({ component: 'api-tls' }));
    await this.apiCert.start();
  }

  async stop(): Promise<void> {
    const api = this.api;
    this.api = undefined;
    this.exec.stop();
    this.execStreams?.closeAll();
    if (api) {
      await new Promise<void>((resolve) => {
        api.close(() => resolve());
        api.closeAllConnections();
      });
    }
    // Hands the lease over first (and stops the leader roles), so another replica leads at once.
    this.election?.stop();
    this.election = undefined;
    const metricsServer = this.metricsServer;
    this.metricsServer = undefined;
    if (metricsServer) {
      await new Promise<void>((resolve) => {
        metricsServer.close(() => resolve());
        metricsServer.closeAllConnections();
      });
    }
    await this.rolesStopping;
    await this.dispatcher.stop();
    this.serverCert?.stop();
    this.apiCert?.stop();
    this.store.close();
    this.log.info('control plane stopped');
  }
}

/** Operations of the services served in Query and REST-JSON, named like X-Amz-Targets (`scheduler.CreateSchedule`). */
const MODELLED_TARGETS: ReadonlySet<string> = new Set(
  [...QUERY_SERVICES, ...REST_JSON_SERVICES].flatMap((s) => [...s.actions.keys()].map((op) => `${s.targetPrefix}.${op}`)),
);

function knownOperation(target: string): string {
  if (MODELLED_TARGETS.has(target)) return target.slice(target.lastIndexOf('.') + 1);
  try {
    actionFor(target);
    return target.slice(target.lastIndexOf('.') + 1);
  } catch {
    return 'unknown';
  }
}
