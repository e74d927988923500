import { SchedulesRepo } from './schedules-repo';
import { AccountSettingsRepo } from './account-settings-repo';
import type { ArnContext, Clock } from '@stevedore/core';
import { ChangeFeed, type Change, type ListenerErrorHandler } from './changes';
import { openStoreDatabase, type Db } from './db';
import { ClustersRepo } from './clusters-repo';
import { TaskDefinitionsRepo } from './task-definitions-repo';
import { InstancesRepo } from './instances-repo';
import { TasksRepo } from './tasks-repo';
import { ClientTokensRepo } from './client-tokens-repo';
import { IamRepo } from './iam-repo';
import { ephemeralSecretBox, type SecretBox } from './secret-box';
import { ServicesRepo } from './services-repo';
import { LoadBalancersRepo } from './load-balancers-repo';
import { TargetsRepo } from './targets-repo';
import { AgentPkiRepo } from './agent-pki-repo';
import { SecretsRepo } from './secrets-repo';
import { CertificatesRepo } from './certificates-repo';
import { ReplayCacheRepo } from './replay-cache-repo';
import { RetentionRepo } from './retention-repo';
import { MetricsRepo } from './metrics-repo';
import { TaskCredentialsRepo } from './task-credentials-repo';
import { ConsoleSessionsRepo } from './console-sessions-repo';
import { FileSystemsRepo } from './file-systems-repo';
import { AutoscalingRepo } from './autoscaling-repo';
import { HostGroupsRepo } from './host-groups-repo';
import { CapacityProvidersRepo } from './capacity-providers-repo';
import { AlarmsRepo } from './alarms-repo';
import { LogStoreRepo } from './log-store-repo';
import { TaskUsageRepo } from './task-usage-repo';
import { ClusterState } from './cluster-state';
import { LeadershipRepo } from './leadership-repo';

export interface StoreOptions {
  /** Seals secrets at rest; in-memory stores get a throwaway key. */
  secretBox?: SecretBox;
  /** Where errors thrown by change listeners go (default: stderr); they never fail the write. */
  onListenerError?: ListenerErrorHandler;
}

/**
 * The control plane's only door to persistence: every SQL statement lives in
 * the repos below. `tx` makes a multi-row change atomic and publishes its
 * change events after commit (never for a rolled-back transaction).
 */
export class Store {
  readonly changes: ChangeFeed;
  readonly clusters: ClustersRepo;
  readonly taskDefinitions: TaskDefinitionsRepo;
  readonly instances: InstancesRepo;
  readonly tasks: TasksRepo;
  readonly clientTokens: ClientTokensRepo;
  readonly iam: IamRepo;
  readonly services: ServicesRepo;
  readonly loadBalancers: LoadBalancersRepo;
  readonly targets: TargetsRepo;
  readonly agentPki: AgentPkiRepo;
  readonly secrets: SecretsRepo;
  readonly certificates: CertificatesRepo;
  readonly replayCache: ReplayCacheRepo;
  readonly retention: RetentionRepo;
  readonly metrics: MetricsRepo;
  readonly taskCredentials: TaskCredentialsRepo;
  readonly consoleSessions: ConsoleSessionsRepo;
  readonly fileSystems: FileSystemsRepo;
  readonly autoscaling: AutoscalingRepo;
  readonly hostGroups: HostGroupsRepo;
  readonly capacityProviders: CapacityProvidersRepo;
  readonly alarms: AlarmsRepo;
  readonly logStore: LogStoreRepo;
  /** Leader lease, replica liveness, the fencing check (high availability). */
  readonly leadership: LeadershipRepo;
  readonly schedules: SchedulesRepo;
  readonly accountSettings: AccountSettingsRepo;
  /** In memory: latest usage readings are not state (see task-usage-repo.ts). */
  readonly taskUsage = new TaskUsageRepo();
  /** Placement input of every cluster, kept in step by the instance and task repos (cluster-state.ts). */
  readonly clusterState: ClusterState;
  private pending: Change[] | undefined;
  /** Changes received from other processes sharing the database (tests, metrics). */
  remoteChangeCount = 0;
  /** Called when the cross-process change log lost changes (a long disconnection): roles should resync in full. */
  onChangeGap: (() => void) | undefined;
  /** Told of the cross-process change listener's connection (the control plane logs it). */
  onChangeListener: ((state: 'connected' | 'disconnected', error?: string) => void) | undefined;
  /** Told each outermost transaction's duration in seconds (SQLite write latency, Prometheus). */
  observeTx: ((seconds: number) => void) | undefined;

  constructor(readonly db: Db, readonly clock: Clock, readonly arnContext: ArnContext, opts: StoreOptions = {}) {
    this.changes = new ChangeFeed(opts.onListenerError);
    const record = (c: Change) => this.record(c);
    this.clusters = new ClustersRepo(db, record);
    this.taskDefinitions = new TaskDefinitionsRepo(db, record, arnContext);
    // The repos are created below; the state reads through them only when a cluster is first needed.
    this.clusterState = new ClusterState({ instances: (c) => this.instances.listByCluster(c), tasks: (c) => this.tasks.summariesInCluster(c) });
    this.instances = new InstancesRepo(db, record, this.clusterState);
    this.tasks = new TasksRepo(db, record, this.clusterState);
    this.clientTokens = new ClientTokensRepo(db);
    // One master key seals access-key secrets and the secrets store alike.
    const box = opts.secretBox ?? ephemeralSecretBox();
    this.iam = new IamRepo(db, box);
    this.services = new ServicesRepo(db, record);
    this.loadBalancers = new LoadBalancersRepo(db, record);
    this.targets = new TargetsRepo(db, record);
    this.agentPki = new AgentPkiRepo(db);
    this.secrets = new SecretsRepo(db, box);
    // A re-imported certificate changes what load balancer hosts serve: the same change as their configuration.
    this.certificates = new CertificatesRepo(db, box, () => record({ kind: 'load-balancer-config' }));
    this.replayCache = new ReplayCacheRepo(db);
    this.retention = new RetentionRepo(db);
    this.metrics = new MetricsRepo(db, record);
    this.taskCredentials = new TaskCredentialsRepo(db, box);
    this.consoleSessions = new ConsoleSessionsRepo(db, box);
    this.fileSystems = new FileSystemsRepo(db);
    this.autoscaling = new AutoscalingRepo(db, record);
    this.hostGroups = new HostGroupsRepo(db, record);
    this.accountSettings = new AccountSettingsRepo(db);
    this.capacityProviders = new CapacityProvidersRepo(db, record);
    this.alarms = new AlarmsRepo(db, record, arnContext);
    this.logStore = new LogStoreRepo(db);
    this.leadership = new LeadershipRepo(db);
    this.schedules = new SchedulesRepo(db, record);
    db.changeLog?.listen({
      changes: (json) => this.remoteChanges(json),
      gap: () => {
        this.clusterState.invalidate();
        this.onChangeGap?.();
      },
      listener: (state, error) => this.onChangeListener?.(state, error),
    });
  }

  /** `location`: a SQLite file (or `sqlite:PATH`, `:memory:`) or a `postgres://` URL (db.ts). */
  static open(location: string, clock: Clock, arnContext: ArnContext, opts: StoreOptions = {}): Store {
    return new Store(openStoreDatabase(location), clock, arnContext, opts);
  }

  /** Runs fn in one transaction; nested calls join the outer one. */
  tx<T>(fn: () => T): T {
    if (this.pending) return fn();
    this.pending = [];
    let changes: Change[];
    const startedAt = this.observeTx ? performance.now() : 0;
    try {
      const log = this.db.changeLog;
      const result = log
        ? this.db.transaction(() => {
            const r = fn();
            // Committed with the transaction, so other replicas learn of exactly what committed.
            if (this.pending && this.pending.length > 0) log.publish(JSON.stringify(dedupe(this.pending)));
            return r;
          })()
        : this.db.transaction(fn)();
      this.observeTx?.((performance.now() - startedAt) / 1000);
      changes = this.pending;
      this.pending = undefined;
      this.changes.emit(dedupe(changes));
      return result;
    } catch (e) {
      // Rolled back: the in-memory state may hold writes that no longer exist.
      if (this.pending) this.clusterState.invalidate();
      throw e;
    } finally {
      this.pending = undefined;
    }
  }

  /**
   * The same store for a role that may write only while it leads: every
   * transaction it opens first runs `assertTerm` (which throws to roll it
   * back once the term is over), inside that very transaction, so a leader
   * deposed while paused cannot commit anything when it wakes up. Roles must
   * write through `tx` only (docs/design/high-availability.md).
   */
  fenced(assertTerm: () => void): Store {
    const base = this;
    return Object.create(base, {
      tx: {
        value<T>(fn: () => T): T {
          return base.tx(() => {
            assertTerm();
            return fn();
          });
        },
      },
    }) as Store;
  }

  close(): void {
    this.db.close();
  }

  private record(c: Change): void {
    if (this.pending) {
      this.pending.push(c);
      return;
    }
    this.db.changeLog?.publish(JSON.stringify([c]));
    this.changes.emit([c]);
  }

  /**
   * Changes other control-plane processes committed to the same database:
   * the placement state drops what they may have changed, and listeners get
   * the changes as if made here (they re-read the store: level-triggered).
   */
  private remoteChanges(json: string): void {
    let changes: Change[];
    try {
      changes = JSON.parse(json) as Change[];
    } catch {
      return;
    }
    if (changes.some((c) => c.kind === 'task' || c.kind === 'instance')) this.clusterState.invalidate();
    this.remoteChangeCount += changes.length;
    this.changes.emit(changes);
  }
}

function dedupe(changes: Change[]): Change[] {
  const seen = new Set<string>();
  return changes.filter((c) => {
    const key = JSON.stringify(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
