import * as os from 'node:os';
import type { Logger } from 'pino';
import {
  decideScaling,
  hostGroupNameOfArn,
  hostsNeeded,
  splitWarmingHosts,
  type CapacityProvider,
  type CapacityProviderRuntime,
  type HostGroup,
  type HostSize,
  type TaskRequirement,
} from '@stevedore/core';
import type { Store } from '../store/store';
import { daemonGroups, taskCounts } from './host-facts';

export interface CapacityScalerOptions {
  intervalMs: number;
  scaleInCooldownMs: number;
}

/** What one provider's figures were at the last decision (also in DescribeHostGroups). */
export interface ProviderFigures extends CapacityProviderRuntime {
  hostSize?: HostSize;
}

/**
 * ECS managed scaling for host-group capacity providers: every interval,
 * per provider, M (hosts running non-daemon tasks, plus the hosts the tasks
 * waiting in PROVISIONING for this provider need) and N (hosts in service), the
 * CapacityProviderReservation M/N × 100, and the pure `decideScaling` step
 * written to the group's desired capacity. The host group controller does
 * the rest. Everything comes from the store, so a restart loses only the
 * scale-in cooldown's start (kept in the provider's runtime too).
 */
export class CapacityScaler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly log: Logger,
    private readonly opts: CapacityScalerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      try {
        this.tick();
      } catch (e) {
        this.log.error({ err: e }, 'managed scaling pass failed');
      }
    }, this.opts.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): void {
    for (const cp of this.store.capacityProviders.list()) {
      if (cp.status !== 'ACTIVE' || cp.managedScaling.status !== 'ENABLED') continue;
      const group = this.store.hostGroups.get(hostGroupNameOfArn(cp.autoScalingGroupArn) ?? '');
      if (!group || group.status !== 'ACTIVE') continue;
      this.scale(cp, group);
    }
  }

  private scale(cp: CapacityProvider, group: HostGroup): void {
    const now = this.store.clock.now();
    const runtime = this.store.capacityProviders.runtime(cp.name) as ProviderFigures;
    const daemons = daemonGroups(this.store, group.cluster);
    const hosts = this.store.hostGroups.hosts(group.name);
    const joined = hosts
      .filter((h) => h.lifecycleState === 'InService' && h.containerInstanceId)
      .map((h) => {
        const inst = this.store.instances.get(h.containerInstanceId!);
        return { id: h.id, running: inst !== undefined && inst.status === 'ACTIVE', joinedAt: inst?.registeredAt ?? 0, inst, ...taskCounts(this.store, h.containerInstanceId, daemons) };
      });
    const size = largestHost(joined.map((v) => v.inst?.registeredResources).filter((r): r is NonNullable<typeof r> => r !== undefined)) ?? runtime.hostSize ?? (group.spec.provisioner.type === 'local' ? thisMachine() : undefined);
    // ECS's instanceWarmupPeriod: a host that joined within it does not count yet; it is still "launching".
    const { counted: views, warming } = splitWarmingHosts(joined, now, cp.managedScaling.instanceWarmupPeriod);
    const waiting = this.store.tasks
      .provisioning(group.cluster)
      .filter((t) => t.capacityProviderName === cp.name && t.desiredStatus === 'RUNNING')
      .map((t): TaskRequirement => ({ cpu: t.cpu, memory: t.memory, hostPorts: t.hostPorts }));
    const m = hostsNeeded(views, waiting, size);
    const n = views.filter((v) => v.running).length;
    const launching = hosts.filter((h) => h.lifecycleState === 'Pending' || h.lifecycleState === 'Pending:Wait').length + warming;
    const d = decideScaling({
      m,
      n,
      launching,
      currentDesired: group.desiredCapacity,
      groupMin: group.spec.minSize,
      groupMax: group.spec.maxSize,
      scaling: cp.managedScaling,
      belowTargetSince: runtime.belowTargetSince,
      scaleInCooldownMs: this.opts.scaleInCooldownMs,
      now,
    });
    const next: ProviderFigures = {
      reservation: d.reservation,
      m,
      n,
      ...(d.belowTargetSince !== undefined ? { belowTargetSince: d.belowTargetSince } : {}),
      lastDecision: d.reason,
      decidedAt: now,
      ...(size ? { hostSize: size } : {}),
    };
    this.store.tx(() => {
      this.store.capacityProviders.putRuntime(cp.name, next);
      // Where ECS publishes it, so alarms and dashboards (GetMetricStatistics) read it as on AWS.
      this.store.metrics.put([
        {
          namespace: 'AWS/ECS/ManagedScaling',
          metricName: 'CapacityProviderReservation',
          dimensions: [
            { name: 'CapacityProviderName', value: cp.name },
            { name: 'ClusterName', value: group.cluster },
          ],
          timestamp: now,
          unit: 'Percent',
          value: d.reservation,
        },
      ]);
      if (d.direction === 'hold' || d.desired === group.desiredCapacity) return;
      const fresh = this.store.hostGroups.get(group.name);
      if (!fresh || fresh.status !== 'ACTIVE' || fresh.desiredCapacity !== group.desiredCapacity) return;
      this.store.hostGroups.setDesiredCapacity(group.name, d.desired);
      this.store.hostGroups.putActivity({
        id: `scale-${group.name}-${now}`,
        groupName: group.name,
        description: `Managed scaling by capacity provider ${cp.name}: desired capacity ${group.desiredCapacity} -> ${d.desired}`,
        cause: `${d.reason} (M=${m}, N=${n}, ${waiting.length} task(s) waiting for capacity).`,
        statusCode: 'Successful',
        startTime: now,
        endTime: now,
      });
    });
    if (d.direction !== 'hold') {
      this.log.info({ capacityProvider: cp.name, hostGroup: group.name, cluster: group.cluster, reservation: d.reservation, m, n, waiting: waiting.length, desired: d.desired }, d.reason);
    } else if (runtime.lastDecision !== d.reason) {
      this.log.debug({ capacityProvider: cp.name, hostGroup: group.name, reservation: d.reservation, m, n }, d.reason);
    }
  }
}

function largestHost(rs: { cpu: number; memory: number }[]): HostSize | undefined {
  if (rs.length === 0) return undefined;
  return rs.reduce((a, b) => (b.memory > a.memory || (b.memory === a.memory && b.cpu > a.cpu) ? { cpu: b.cpu, memory: b.memory } : a), { cpu: 0, memory: 0 });
}

/** What a local host's agent registers: this machine's CPUs and memory (the agent's own defaults). */
function thisMachine(): HostSize {
  return { cpu: os.cpus().length * 1024, memory: Math.floor(os.totalmem() / 1024 / 1024) };
}
