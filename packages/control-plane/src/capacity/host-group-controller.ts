import { randomBytes, randomUUID } from 'node:crypto';
import * as path from 'node:path';
import type { Logger } from 'pino';
import { newJoinToken } from '@stevedore/proto';
import { isLiveHost, isLostIn, judgeInstances, markStoppedByControlPlane, reconcileHostGroup, type HostGroup, type HostGroupActivity, type HostGroupHost, type HostGroupHostView } from '@stevedore/core';
import type { Store } from '../store/store';
import type { Change } from '../store/changes';
import { ExecProvisioner } from './exec-provisioner';
import { LocalProvisioner } from './local-provisioner';
import { keepTail, ProvisionError, type JoinInstructions, type Provisioner } from './provisioner';
import { daemonGroups, hostView, joinedInstance, providerOfGroup } from './host-facts';

export interface HostGroupControllerOptions {
  /** Where the local provisioner keeps its hosts' data dirs and pid files. */
  localRootDir: string;
  /** Full resync of every group. */
  resyncMs: number;
  /** First pause between attempts of a failed command; doubles each time. */
  retryBackoffMs: number;
  /** After a launch gave up, the group waits this long (times consecutive failures, at most 5 min) before the next. */
  launchBackoffMs: number;
  /** The orchestrator's lost-instance grace: a host whose instance is lost after it is replaced (Auto Scaling's unhealthy instance). */
  instanceLostGraceMs: number;
  agentBin?: string;
}

export const DEFAULT_HOST_GROUP_CONTROLLER_OPTIONS: Omit<HostGroupControllerOptions, 'localRootDir'> = { resyncMs: 2000, retryBackoffMs: 1000, launchBackoffMs: 10_000, instanceLostGraceMs: 30_000 };

/** How a new host reaches the control plane: known only once the agent port is bound. */
export type JoinEndpoint = () => { controlPlane: string; caCertHash: string };

function newHostId(): string {
  return `h-${randomBytes(8).toString('hex')}`;
}

/**
 * Host groups' desired capacity, reconciled like a service's desired count:
 * change events and a resync mark the groups dirty; a tick reads the groups
 * and hosts from the store, asks the pure `reconcileHostGroup`, and writes
 * its intent (a Pending host, a Terminating one) before any command runs.
 * Commands run outside the tick, one per host at a time; a restart finds the
 * Pending and Terminating hosts in the store and runs their command again
 * (with the same host id: create must be idempotent on it).
 */
export class HostGroupController {
  private readonly inFlight = new Map<string, AbortController>();
  private readonly launchBlockedUntil = new Map<string, { until: number; failures: number }>();
  private readonly provisioners = new Map<string, { key: string; p: Provisioner }>();
  private timer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private stopped = true;
  /** Agents could reach us from here: no host is judged lost before a full grace after it (instance-liveness.ts). */
  private startedAt = 0;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly joinEndpoint: JoinEndpoint,
    private readonly opts: HostGroupControllerOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.startedAt = this.store.clock.now();
    this.unsubscribe = this.store.changes.on((c) => this.onChange(c));
    this.timer = setInterval(() => this.schedule(), this.opts.resyncMs);
    this.schedule();
  }

  /** Aborts running commands (an exec create is killed and runs again after the restart); hosts keep running. */
  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    if (this.tickTimer) clearTimeout(this.tickTimer);
    for (const a of this.inFlight.values()) a.abort();
    this.inFlight.clear();
  }

  private onChange(c: Change): void {
    if (c.kind === 'host-group' || c.kind === 'instance' || c.kind === 'capacity-provider') this.schedule();
    // A draining host waits for its last task to stop.
    else if (c.kind === 'task' && c.instanceId) this.schedule();
  }

  private schedule(): void {
    if (this.stopped || this.tickTimer) return;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      try {
        this.tick();
      } catch (e) {
        this.log.error({ err: e }, 'host group reconcile failed; retrying at the next resync');
      }
    }, 50);
  }

  tick(): void {
    for (const group of this.store.hostGroups.list()) {
      try {
        this.reconcileGroup(group);
      } catch (e) {
        this.log.error({ err: e, hostGroup: group.name }, 'host group reconcile failed');
      }
    }
  }

  private reconcileGroup(group: HostGroup): void {
    const now = this.store.clock.now();
    const hosts = this.store.hostGroups.hosts(group.name);
    if (group.status === 'DELETING' && hosts.length === 0) {
      this.store.tx(() => this.store.hostGroups.remove(group.name));
      this.provisioners.delete(group.name);
      this.log.info({ hostGroup: group.name, cluster: group.cluster }, 'host group deleted (its last host is gone)');
      return;
    }
    const daemons = daemonGroups(this.store, group.cluster);
    const views = hosts.map((h) => hostView(this.store, h, daemons));
    this.markLostHosts(group, views, now);
    const provider = providerOfGroup(this.store, group);
    const actions = reconcileHostGroup(
      { desiredCapacity: group.desiredCapacity, deleting: group.status === 'DELETING', terminationProtection: provider?.managedTerminationProtection === 'ENABLED' },
      views,
      now,
      group.spec.joinTimeoutSeconds * 1000,
    );
    const byId = new Map(hosts.map((h) => [h.id, h]));
    const blocked = this.launchBlockedUntil.get(group.name);
    const launch = blocked && blocked.until > now ? 0 : actions.launch;
    const launched: HostGroupHost[] = [];
    this.store.tx(() => {
      for (const id of actions.inService) {
        const h = byId.get(id)!;
        const instance = joinedInstance(this.store, h)!;
        this.store.hostGroups.putHost({ ...h, lifecycleState: 'InService', containerInstanceId: instance });
        this.finishLaunchActivity(h, `The host joined as container instance ${instance}.`);
        this.log.info({ hostGroup: group.name, host: id, instance }, 'host joined: InService');
        this.launchBlockedUntil.delete(group.name);
      }
      for (const d of actions.drain) {
        const h = byId.get(d.id)!;
        const instanceId = joinedInstance(this.store, h);
        const inst = instanceId ? this.store.instances.get(instanceId) : undefined;
        if (inst && inst.status === 'ACTIVE') this.store.instances.put({ ...inst, status: 'DRAINING', version: inst.version + 1 });
        this.store.hostGroups.putHost({ ...h, lifecycleState: 'Terminating:Wait', statusReason: d.reason, ...(instanceId ? { containerInstanceId: instanceId } : {}) });
        this.activity(group, h.id, `Terminating host: ${h.id}`, `${d.reason}: the host drains first (container instance ${instanceId ?? '-'} DRAINING).`, 'InProgress');
        this.log.info({ hostGroup: group.name, host: h.id, instance: instanceId, reason: d.reason }, 'host draining before termination');
      }
      for (const d of actions.destroy) {
        const h = byId.get(d.id)!;
        const instanceId = joinedInstance(this.store, h);
        this.store.hostGroups.putHost({ ...h, lifecycleState: 'Terminating', statusReason: d.reason, ...(instanceId ? { containerInstanceId: instanceId } : {}) });
        if (h.lifecycleState !== 'Terminating:Wait') this.activity(group, h.id, `Terminating host: ${h.id}`, `${d.reason}.`, 'InProgress');
        if (h.lifecycleState === 'Pending:Wait') this.finishLaunchActivity(h, `The host was terminated: ${d.reason}.`, 'Failed');
      }
      const taken = new Set(this.store.hostGroups.liveHosts().map((h) => h.hostIp).filter(Boolean));
      for (let i = 0; i < launch; i++) {
        const h: HostGroupHost = { id: newHostId(), groupName: group.name, cluster: group.cluster, lifecycleState: 'Pending', attempts: 0, launchedAt: now };
        if (group.spec.provisioner.type === 'local') {
          const ip = group.spec.provisioner.hostIps.find((x) => !taken.has(x));
          if (ip) {
            h.hostIp = ip;
            taken.add(ip);
          }
        }
        this.store.hostGroups.putHost(h);
        this.activity(group, h.id, `Launching a new host: ${h.id}`, `The desired capacity of ${group.name} is ${group.desiredCapacity}, ${views.filter((v) => isLiveHost(v.lifecycleState)).length + i} host(s) live: launching one.`, 'InProgress', launchActivityId(h.id));
        launched.push(h);
      }
    });
    // Every host whose command should be running: after a restart, Pending and Terminating ones found in the store.
    for (const h of this.store.hostGroups.hosts(group.name)) {
      if (this.inFlight.has(h.id)) continue;
      if (h.lifecycleState === 'Pending') this.runCreate(group, h);
      else if (h.lifecycleState === 'Terminating') this.runDestroy(group, h);
    }
  }

  /**
   * Hosts gone for good: their container instance judged lost by the same
   * rule (and the same grace, and partition guard) the orchestrator uses to
   * replace their tasks, or deregistered. The group destroys and replaces them.
   */
  private markLostHosts(group: HostGroup, views: HostGroupHostView[], now: number): void {
    const instances = this.store.instances.listByCluster(group.cluster);
    const liveness = judgeInstances(instances, now, { graceMs: this.opts.instanceLostGraceMs, watchingSince: this.startedAt });
    const byId = new Map(instances.map((i) => [i.id, i]));
    for (const v of views) {
      if ((v.lifecycleState !== 'InService' && v.lifecycleState !== 'Terminating:Wait') || !v.containerInstanceId) continue;
      const inst = byId.get(v.containerInstanceId);
      if (!inst || inst.status === 'INACTIVE') v.lost = `its container instance ${v.containerInstanceId} was deregistered`;
      else if (isLostIn(liveness, inst)) v.lost = `its container instance ${inst.id} is lost (agent disconnected longer than ${Math.round(this.opts.instanceLostGraceMs / 1000)} s)`;
    }
  }

  private provisionerOf(group: HostGroup): Provisioner {
    const key = JSON.stringify(group.spec.provisioner);
    const cached = this.provisioners.get(group.name);
    if (cached && cached.key === key) return cached.p;
    const spec = group.spec.provisioner;
    const p = spec.type === 'exec' ? new ExecProvisioner(spec) : new LocalProvisioner(spec, path.join(this.opts.localRootDir, group.cluster), this.opts.agentBin);
    this.provisioners.set(group.name, { key, p });
    return p;
  }

  private attemptsOf(group: HostGroup): number {
    return 1 + (group.spec.provisioner.type === 'exec' ? group.spec.provisioner.retries : 2);
  }

  /** A one-use join token for this host's attempt; the previous attempt's is revoked. */
  private mintToken(group: HostGroup, host: HostGroupHost): { id: string; token: string } {
    const now = this.store.clock.now();
    const { id, token, secretSha256 } = newJoinToken();
    const timeoutS = group.spec.provisioner.type === 'exec' ? group.spec.provisioner.timeoutSeconds : 60;
    this.store.tx(() => {
      if (host.joinTokenId) this.store.agentPki.revokeToken(host.joinTokenId, now);
      this.store.agentPki.insertToken({ id, cluster: group.cluster, secretSha256, createdAt: now, expiresAt: now + (timeoutS + group.spec.joinTimeoutSeconds + 60) * 1000, uses: 0, maxUses: 1 });
    });
    return { id, token };
  }

  private runCreate(group: HostGroup, host: HostGroupHost): void {
    const abort = new AbortController();
    this.inFlight.set(host.id, abort);
    const log = this.log.child({ hostGroup: group.name, host: host.id });
    const attempts = this.attemptsOf(group);
    const go = async () => {
      let current = host;
      let output = '';
      while (!abort.signal.aborted) {
        const attempt = current.attempts + 1;
        const { id: tokenId, token } = this.mintToken(group, current);
        current = { ...current, attempts: attempt, joinTokenId: tokenId };
        this.store.tx(() => this.store.hostGroups.putHost(current));
        const endpoint = this.joinEndpoint();
        const join: JoinInstructions = { controlPlane: endpoint.controlPlane, caCertHash: endpoint.caCertHash, cluster: group.cluster, token };
        log.info({ attempt, of: attempts }, 'creating host');
        try {
          const r = await this.provisionerOf(group).create(group, current, join, abort.signal);
          if (abort.signal.aborted) return;
          output += r.output;
          const fresh = this.store.hostGroups.host(host.id);
          if (!fresh || fresh.lifecycleState !== 'Pending') return;
          this.store.tx(() => {
            this.store.hostGroups.putHost({ ...fresh, lifecycleState: 'Pending:Wait', providerId: r.providerId, createdAt: this.store.clock.now() });
            this.updateActivity(launchActivityId(host.id), { statusMessage: `Created as ${r.providerId}; waiting for its agent to join (at most ${group.spec.joinTimeoutSeconds} s).`, details: keepTail(output) });
          });
          log.info({ providerId: r.providerId }, 'host created; waiting for it to join');
          return;
        } catch (e) {
          if (abort.signal.aborted) return;
          const message = (e as Error).message;
          const out = e instanceof ProvisionError ? e.output : '';
          output += `--- attempt ${attempt} of ${attempts}: ${message}\n${out}`;
          log.warn({ attempt, of: attempts, err: message }, 'host create failed');
          if (attempt >= attempts) {
            this.giveUp(group, host.id, `create failed ${attempts} time(s); last: ${message}`, output);
            return;
          }
          this.store.tx(() => this.updateActivity(launchActivityId(host.id), { statusMessage: `Attempt ${attempt} of ${attempts} failed: ${message}; retrying.`, details: keepTail(output) }));
          await sleep(this.opts.retryBackoffMs * 2 ** (attempt - 1), abort.signal);
        }
      }
    };
    go()
      .catch((e: unknown) => log.error({ err: e }, 'host create crashed'))
      .finally(() => {
        if (this.inFlight.get(host.id) === abort) this.inFlight.delete(host.id);
        this.schedule();
      });
  }

  private giveUp(group: HostGroup, hostId: string, reason: string, output: string): void {
    const now = this.store.clock.now();
    const prev = this.launchBlockedUntil.get(group.name);
    const failures = (prev?.failures ?? 0) + 1;
    this.launchBlockedUntil.set(group.name, { failures, until: now + Math.min(300_000, this.opts.launchBackoffMs * failures) });
    this.store.tx(() => {
      const h = this.store.hostGroups.host(hostId);
      if (!h) return;
      if (h.joinTokenId) this.store.agentPki.revokeToken(h.joinTokenId, now);
      // Nothing was created (as far as the command said): nothing to destroy.
      this.store.hostGroups.putHost({ ...h, lifecycleState: 'Terminated', statusReason: reason, terminatedAt: now });
      this.updateActivity(launchActivityId(hostId), { statusCode: 'Failed', statusMessage: reason, details: keepTail(output), endTime: now });
    });
  }

  private runDestroy(group: HostGroup, host: HostGroupHost): void {
    const abort = new AbortController();
    this.inFlight.set(host.id, abort);
    const log = this.log.child({ hostGroup: group.name, host: host.id });
    const attempts = this.attemptsOf(group);
    const go = async () => {
      let output = '';
      for (let attempt = 1; !abort.signal.aborted; attempt++) {
        try {
          const r = await this.provisionerOf(group).destroy(group, host, abort.signal);
          output += r.output;
          this.terminated(host.id, output);
          log.info({ reason: host.statusReason }, 'host terminated');
          return;
        } catch (e) {
          if (abort.signal.aborted) return;
          const message = (e as Error).message;
          output += `--- attempt ${attempt}: ${message}\n${e instanceof ProvisionError ? e.output : ''}`;
          log.warn({ attempt, err: message }, 'host destroy failed');
          this.store.tx(() => this.updateActivity(terminateActivityId(host.id), { statusMessage: `Attempt ${attempt} failed: ${message}; retrying.`, details: keepTail(output) }));
          // A host that cannot be destroyed keeps being tried (it may still cost money), more slowly each time.
          await sleep(Math.min(60_000, this.opts.retryBackoffMs * 2 ** Math.min(attempt - 1, 6)), abort.signal);
          if (attempt >= attempts) log.warn({ attempts: attempt }, 'host still not destroyed; still retrying');
        }
      }
    };
    go()
      .catch((e: unknown) => log.error({ err: e }, 'host destroy crashed'))
      .finally(() => {
        if (this.inFlight.get(host.id) === abort) this.inFlight.delete(host.id);
        this.schedule();
      });
  }

  /** Destroyed: the host is Terminated, its instance deregistered (ECS does so when an EC2 instance terminates). */
  private terminated(hostId: string, output: string): void {
    const now = this.store.clock.now();
    this.store.tx(() => {
      const h = this.store.hostGroups.host(hostId);
      if (!h) return;
      const instanceId = joinedInstance(this.store, h);
      const inst = instanceId ? this.store.instances.get(instanceId) : undefined;
      if (inst && inst.status !== 'INACTIVE') {
        for (const t of this.store.tasks.activeOnInstance(inst.id)) {
          const stopped = markStoppedByControlPlane(t, 'Host EC2 (instance ' + h.id + ') terminated.', now);
          if (stopped) this.store.tasks.put({ ...stopped, seq: t.seq });
        }
        this.store.instances.put({ ...inst, status: 'INACTIVE', agentConnected: false, version: inst.version + 1 });
      }
      if (h.joinTokenId) this.store.agentPki.revokeToken(h.joinTokenId, now);
      this.store.hostGroups.putHost({ ...h, lifecycleState: 'Terminated', terminatedAt: now, ...(instanceId ? { containerInstanceId: instanceId } : {}) });
      this.updateActivity(terminateActivityId(hostId), { statusCode: 'Successful', statusMessage: `Terminated${instanceId ? `; container instance ${instanceId} deregistered` : ''}.`, details: keepTail(output), endTime: now });
    });
  }

  private finishLaunchActivity(h: HostGroupHost, message: string, code: 'Successful' | 'Failed' = 'Successful'): void {
    this.updateActivity(launchActivityId(h.id), { statusCode: code, statusMessage: message, endTime: this.store.clock.now() });
  }

  private activity(group: HostGroup, hostId: string, description: string, cause: string, statusCode: HostGroupActivity['statusCode'], id = terminateActivityId(hostId)): void {
    this.store.hostGroups.putActivity({ id, groupName: group.name, hostId, description, cause, statusCode, startTime: this.store.clock.now() });
  }

  private updateActivity(id: string, patch: Partial<HostGroupActivity>): void {
    const a = this.store.hostGroups.activity(id);
    if (a) this.store.hostGroups.putActivity({ ...a, ...patch });
  }
}

const launchActivityId = (hostId: string) => `launch-${hostId}`;
const terminateActivityId = (hostId: string) => `terminate-${hostId}`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}

export { randomUUID as newHostGroupUuid };
