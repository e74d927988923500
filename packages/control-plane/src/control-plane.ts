import * as os from 'node:os';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import { systemClock, type ArnContext, type Clock } from '@stevedore/core';
import { Store } from './store/store';
import { createApiServer, type ApiServer } from './api/server';
import { Dispatcher, DEFAULT_DISPATCHER_OPTIONS } from './dispatcher/dispatcher';
import { DEFAULT_LOG_BROKER_OPTIONS, LogBroker } from './logs/log-broker';
import { DEFAULT_ORCHESTRATOR_OPTIONS, ServiceReconciler } from './orchestrator/service-reconciler';
import { TargetRegistrar } from './loadbalancer/target-registrar';
import { DEFAULT_TASK_REAPER_OPTIONS, reaperIntervalFor, TaskReaper } from './retention/task-reaper';
import { MetricRetention } from './metrics/metric-retention';
import { AlarmEvaluator, DEFAULT_ALARM_EVALUATOR_OPTIONS } from './alarms/alarm-evaluator';
import { DEFAULT_LOG_PRUNER_OPTIONS, LogPruner } from './log-retention/log-pruner';
import type { ControlPlaneConfig } from './config';
import { ClusterCa } from './pki/cluster-ca';
import { ServerCertificateProvider, serverSubjectAltNames } from './pki/server-credentials';
import { Enrollment } from './dispatcher/enrollment';
import { ApiCertificate, writeCaBundle, type ApiCertificateSource } from './pki/api-certificate';

/** Agents renew at 2/3, so a week-long certificate survives a control plane outage of two days. */
export const DEFAULT_AGENT_CERT_VALIDITY_MS = 7 * 24 * 3600_000;
import { createApiAuth, openSecretBox, prepareAdminAccess } from './api-auth-setup';
import { LOG_REDACTION } from './log-redaction';
import { Autoscaler, DEFAULT_AUTOSCALER_OPTIONS } from './autoscaling/autoscaler';
import { DEFAULT_HOST_GROUP_CONTROLLER_OPTIONS, HostGroupController } from './capacity/host-group-controller';
import { CapacityScaler } from './capacity/capacity-scaler';
import { DEFAULT_METRIC_PUBLISHER_OPTIONS, MetricPublisher } from './metrics/metric-publisher';
import { PrometheusMetrics } from './metrics/prometheus';
import { apiMetricsRoute, createMetricsServer, readMetricsToken } from './metrics/metrics-endpoint';
import { actionFor } from './api/router';
import type * as http from 'node:http';

/** Wiring and start/stop order of the control plane's roles. */
export class ControlPlane {
  readonly store: Store;
  readonly dispatcher: Dispatcher;
  /** Exposed read-only for its stats (benchmarks). */
  readonly orchestrator: ServiceReconciler;
  private readonly loadBalancing: TargetRegistrar;
  private readonly reaper: TaskReaper;
  private readonly metricRetention: MetricRetention;
  private readonly autoscaler: Autoscaler;
  private readonly hostGroups: HostGroupController;
  private readonly capacityScaler: CapacityScaler;
  private readonly alarmEvaluator: AlarmEvaluator;
  private readonly logPruner: LogPruner;
  private api: ApiServer | undefined;
  /** The cluster's figures and the control plane's own health, for Prometheus. */
  readonly prometheus: PrometheusMetrics;
  readonly metrics: MetricPublisher;
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
    this.store = Store.open(config.dataDir === ':memory:' ? ':memory:' : path.join(config.dataDir, 'stevedore.db'), clock, arn, {
      ...(secretBox ? { secretBox } : {}),
      onListenerError: (err, change) => storeLog.error({ err, change }, 'a change listener failed; the write it follows is committed'),
    });
    const logs = new LogBroker({ maxStreamsPerInstance: config.maxLogStreamsPerInstance ?? DEFAULT_LOG_BROKER_OPTIONS.maxStreamsPerInstance });
    this.dispatcher = new Dispatcher(this.store, arn, logs, log.child({ component: 'dispatcher' }), {
      ...DEFAULT_DISPATCHER_OPTIONS,
      heartbeatPeriodMs: config.heartbeatPeriodMs,
      ...(config.taskCredentialsTtlSeconds !== undefined ? { taskCredentialsTtlMs: config.taskCredentialsTtlSeconds * 1000 } : {}),
    });
    this.orchestrator = new ServiceReconciler(this.store, log.child({ component: 'orchestrator' }), {
      ...DEFAULT_ORCHESTRATOR_OPTIONS,
      instanceLostGraceMs: (config.instanceLostGraceSeconds ?? 30) * 1000,
      ...config.orchestrator,
    });
    this.loadBalancing = new TargetRegistrar(this.store, log.child({ component: 'load-balancing' }));
    this.autoscaler = new Autoscaler(this.store, log.child({ component: 'autoscaler' }), clock, arn, { ...DEFAULT_AUTOSCALER_OPTIONS, ...config.autoscaling });
    const retentionMs = (config.stoppedTaskRetentionSeconds ?? DEFAULT_TASK_REAPER_OPTIONS.retentionMs / 1000) * 1000;
    this.reaper = new TaskReaper(this.store, log.child({ component: 'retention' }), { ...DEFAULT_TASK_REAPER_OPTIONS, retentionMs, intervalMs: reaperIntervalFor(retentionMs) });
    this.metricRetention = new MetricRetention(this.store, log.child({ component: 'metric-retention' }));
    const localRootDir = path.join(config.dataDir === ':memory:' ? os.tmpdir() : config.dataDir, config.dataDir === ':memory:' ? `stevedore-host-groups-${process.pid}` : 'host-groups');
    this.hostGroups = new HostGroupController(this.store, log.child({ component: 'host-groups' }), () => this.joinEndpoint(), {
      ...DEFAULT_HOST_GROUP_CONTROLLER_OPTIONS,
      localRootDir,
      instanceLostGraceMs: (config.instanceLostGraceSeconds ?? 30) * 1000,
    });
    this.capacityScaler = new CapacityScaler(this.store, log.child({ component: 'capacity-scaler' }), {
      intervalMs: config.capacity?.scalingIntervalMs ?? 15_000,
      scaleInCooldownMs: config.capacity?.scaleInCooldownMs ?? 15 * 60_000,
    });
    this.alarmEvaluator = new AlarmEvaluator(this.store, log.child({ component: 'alarms' }), {
      ...DEFAULT_ALARM_EVALUATOR_OPTIONS,
      intervalMs: config.alarmEvaluationIntervalMs ?? DEFAULT_ALARM_EVALUATOR_OPTIONS.intervalMs,
    });
    const dayMs = (config.logRetentionDaySeconds ?? 86_400) * 1000;
    this.logPruner = new LogPruner(this.store, log.child({ component: 'log-retention' }), {
      ...DEFAULT_LOG_PRUNER_OPTIONS,
      dayMs,
      // Several passes per retention day when days are shortened (tests), at least one a minute.
      intervalMs: Math.min(DEFAULT_LOG_PRUNER_OPTIONS.intervalMs, Math.max(250, Math.floor(dayMs / 4))),
      maxStoredBytes: config.logStoreMaxBytes ?? DEFAULT_LOG_PRUNER_OPTIONS.maxStoredBytes,
    });
    this.apiProtocol = (config.apiTls?.mode ?? 'http') === 'http' ? 'http' : 'https';
    const prom = new PrometheusMetrics(() => this.store.instances.connected().length);
    this.prometheus = prom;
    this.store.observeTx = (s) => prom.sqliteTxDuration.observe(s);
    this.orchestrator.observeTick = (s) => prom.reconcileDuration.observe(s);
    const metricsPeriodMs = config.metrics?.periodMs ?? DEFAULT_METRIC_PUBLISHER_OPTIONS.periodMs;
    this.metrics = new MetricPublisher(this.store, log.child({ component: 'metrics' }), {
      ...DEFAULT_METRIC_PUBLISHER_OPTIONS,
      periodMs: metricsPeriodMs,
      // Three agent intervals (10 s by default) without a reading: the task counts as unmeasured.
      staleAfterMs: Math.max(DEFAULT_METRIC_PUBLISHER_OPTIONS.staleAfterMs, 3 * metricsPeriodMs),
      sink: this.store.metrics,
      onSnapshot: (s) => prom.setSnapshot(s),
      observeDuration: (s) => prom.publishDuration.observe(s),
    });
    const metricsToken = config.metrics?.tokenFile ? readMetricsToken(config.metrics.tokenFile) : undefined;
    this.api = createApiServer(
      { store: this.store, clock, arn, log: log.child({ component: 'api' }), logs, random: Math.random },
      {
        auth: createApiAuth(this.store, config, log),
        tls: this.apiProtocol === 'https',
        metricsRoute: apiMetricsRoute(prom, metricsToken),
        onRequest: (target, status, seconds) => {
          // Only known operations become label values: a client must not be able to mint series.
          const action = knownOperation(target);
          prom.apiRequests.inc({ action, status: String(status) });
          prom.apiDuration.observe({ action }, seconds);
        },
      },
    );
  }

  async start(): Promise<void> {
    prepareAdminAccess(this.store, this.config, this.log);
    const { ca, created } = await ClusterCa.loadOrCreate(this.config.dataDir === ':memory:' ? undefined : path.join(this.config.dataDir, 'pki'));
    this.caCertHash = ca.caCertHash;
    this.store.tx(() => this.store.agentPki.setCaCertificate(ca.caPem));
    this.log.info({ caCertHash: ca.caCertHash, created }, 'agent channel CA ready (agents join with a token and this hash)');
    const listenHost = /^(.*):\d+$/.exec(this.config.agentListen)?.[1] ?? '';
    this.serverCert = new ServerCertificateProvider(ca, serverSubjectAltNames(listenHost, this.config.agentCertSans ?? []), this.log.child({ component: 'pki' }));
    await this.serverCert.start();
    const enrollment = new Enrollment(this.store, ca, this.config.agentCertValidityMs ?? DEFAULT_AGENT_CERT_VALIDITY_MS, this.log.child({ component: 'enrollment' }), this.config.agentJoinRateLimit);
    this.agentPort = await this.dispatcher.start(this.config.agentListen, { credentials: this.serverCert.credentials(), enrollment });
    this.orchestrator.start();
    this.loadBalancing.start();
    this.reaper.start();
    this.metricRetention.start();
    this.autoscaler.start();
    this.hostGroups.start();
    this.capacityScaler.start();
    this.alarmEvaluator.start();
    this.logPruner.start();
    this.metrics.start();
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
    await new Promise<void>((resolve, reject) => {
      api.once('error', reject);
      api.listen(this.config.apiListen.port, this.config.apiListen.host, () => {
        api.off('error', reject);
        resolve();
      });
    });
    const addr = api.address();
    this.apiPort = typeof addr === 'object' && addr ? addr.port : this.config.apiListen.port;
    this.log.info({ api: `${this.apiProtocol}://${this.config.apiListen.host}:${this.apiPort}`, agent: this.config.agentListen, agentPort: this.agentPort, dataDir: this.config.dataDir }, 'control plane started');
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
      source = { kind: 'cluster-ca', ca, sans: serverSubjectAltNames(host, [...(wildcard ? ['127.0.0.1', 'localhost'] : []), ...(this.config.apiCertSans ?? [])]) };
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
    if (api) {
      await new Promise<void>((resolve) => {
        api.close(() => resolve());
        api.closeAllConnections();
      });
    }
    this.autoscaler.stop();
    this.metrics.stop();
    const metricsServer = this.metricsServer;
    this.metricsServer = undefined;
    if (metricsServer) {
      await new Promise<void>((resolve) => {
        metricsServer.close(() => resolve());
        metricsServer.closeAllConnections();
      });
    }
    await this.reaper.stop();
    this.metricRetention.stop();
    this.capacityScaler.stop();
    this.hostGroups.stop();
    this.alarmEvaluator.stop();
    await this.logPruner.stop();
    this.loadBalancing.stop();
    this.orchestrator.stop();
    await this.dispatcher.stop();
    this.serverCert?.stop();
    this.apiCert?.stop();
    this.store.close();
    this.log.info('control plane stopped');
  }
}

function knownOperation(target: string): string {
  try {
    actionFor(target);
    return target.slice(target.lastIndexOf('.') + 1);
  } catch {
    return 'unknown';
  }
}
