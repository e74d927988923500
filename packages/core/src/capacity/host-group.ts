import { chooseHostsToRemove, readyToDestroy } from './termination';

/**
 * A host's lifecycle in its group, in Auto Scaling's words: Pending (the
 * intent is stored, `create` runs), Pending:Wait (created, its agent has not
 * joined yet), InService, Terminating:Wait (its instance drains), Terminating
 * (`destroy` runs), Terminated.
 */
export const HOST_LIFECYCLE_STATES = ['Pending', 'Pending:Wait', 'InService', 'Terminating:Wait', 'Terminating', 'Terminated'] as const;
export type HostLifecycleState = (typeof HOST_LIFECYCLE_STATES)[number];

/** Counted against the group's desired capacity: not on its way out. */
export function isLiveHost(state: HostLifecycleState): boolean {
  return state === 'Pending' || state === 'Pending:Wait' || state === 'InService';
}

export interface HostGroupHostView {
  id: string;
  lifecycleState: HostLifecycleState;
  /** When the intent to launch was stored. */
  launchedAt: number;
  /** When `create` returned (Pending:Wait from then on). */
  createdAt?: number;
  /** The container instance its agent registered, once joined. */
  containerInstanceId?: string;
  nonDaemonTasks: number;
  daemonTasks: number;
  /**
   * Why the host is gone for good, when it is (its container instance was
   * judged lost after the lost-instance grace, or deregistered): Auto
   * Scaling's unhealthy instance, replaced by the group.
   */
  lost?: string;
}

export interface HostGroupView {
  desiredCapacity: number;
  /** DeleteHostGroup: every host goes, protection or not. */
  deleting: boolean;
  /** ECS managedTerminationProtection of the capacity provider using the group. */
  terminationProtection: boolean;
}

export interface HostGroupActions {
  /** New hosts to launch (Pending rows are written before anything runs). */
  launch: number;
  /** Joined hosts whose instances go DRAINING. */
  drain: { id: string; reason: string }[];
  /** Hosts whose `destroy` runs now. */
  destroy: { id: string; reason: string }[];
  /** Pending:Wait hosts that joined: InService. */
  inService: string[];
}

/**
 * Level-triggered reconcile of a group (a service's desired count, for
 * hosts): from the stored hosts alone, so a restart repeats nothing. A host
 * that has not joined `joinTimeoutMs` after `create` returned is destroyed
 * and the reason says so.
 */
export function reconcileHostGroup(group: HostGroupView, hosts: readonly HostGroupHostView[], now: number, joinTimeoutMs: number): HostGroupActions {
  const out: HostGroupActions = { launch: 0, drain: [], destroy: [], inService: [] };
  const gone = new Set<string>();
  for (const h of hosts) {
    if (h.lifecycleState === 'Pending:Wait' && h.containerInstanceId) out.inService.push(h.id);
    else if (h.lifecycleState === 'Pending:Wait' && h.createdAt !== undefined && now - h.createdAt >= joinTimeoutMs) {
      out.destroy.push({ id: h.id, reason: `the host did not join the cluster within ${Math.round(joinTimeoutMs / 1000)} s` });
      gone.add(h.id);
    } else if ((h.lifecycleState === 'InService' || h.lifecycleState === 'Terminating:Wait') && h.lost !== undefined) {
      // Its agent will not come back to drain it: destroy it, and the count below launches its replacement.
      out.destroy.push({ id: h.id, reason: `the host is unhealthy: ${h.lost}` });
      gone.add(h.id);
    } else if (h.lifecycleState === 'Terminating:Wait' && readyToDestroy({ joined: h.containerInstanceId !== undefined, nonDaemonTasks: h.nonDaemonTasks, daemonTasks: h.daemonTasks })) {
      out.destroy.push({ id: h.id, reason: 'the host drained' });
    }
  }
  const live = hosts.filter((h) => isLiveHost(h.lifecycleState) && !gone.has(h.id));
  const desired = group.deleting ? 0 : group.desiredCapacity;
  if (live.length < desired) out.launch = desired - live.length;
  if (live.length > desired) {
    // A Pending host's create is running: it can go only once it has returned.
    const candidates = live
      .filter((h) => h.lifecycleState !== 'Pending')
      .map((h) => ({ id: h.id, joined: h.containerInstanceId !== undefined, nonDaemonTasks: h.nonDaemonTasks, draining: false, launchedAt: h.launchedAt }));
    const choice = chooseHostsToRemove(candidates, live.length - desired, group.terminationProtection && !group.deleting);
    const reason = group.deleting ? 'the host group is being deleted' : `the desired capacity is ${desired}`;
    for (const id of choice.drain) {
      const h = live.find((x) => x.id === id)!;
      if (h.containerInstanceId) out.drain.push({ id, reason });
      else out.destroy.push({ id, reason });
    }
  }
  return out;
}

/** The ARN of a host group, in an Auto Scaling group's form so it goes unchanged into autoScalingGroupArn. */
export function hostGroupArn(region: string, account: string, uuid: string, name: string): string {
  return `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${uuid}:autoScalingGroupName/${name}`;
}

/** The name inside a host group ARN, or undefined when it is not one. */
export function hostGroupNameOfArn(arn: string): string | undefined {
  const m = /^arn:aws:autoscaling:[^:]*:[^:]*:autoScalingGroup:[^:]+:autoScalingGroupName\/(.+)$/.exec(arn);
  return m?.[1];
}

/** The attribute every host of a group registers with (its value: the group's name): how placement finds a provider's hosts. */
export const HOST_GROUP_ATTRIBUTE = 'stevedore.host-group';

/** The memberOf constraint that keeps a launch on the hosts of these groups (a capacity provider strategy's). */
export function hostGroupConstraint(groups: readonly string[]): { type: 'memberOf'; expression: string } {
  return { type: 'memberOf', expression: `attribute:${HOST_GROUP_ATTRIBUTE} in [${groups.join(', ')}]` };
}

export const HOST_GROUP_NAME_RULE = 'up to 255 letters, numbers, hyphens and underscores';
export function isHostGroupName(s: unknown): s is string {
  return typeof s === 'string' && /^[A-Za-z0-9_-]{1,255}$/.test(s);
}
