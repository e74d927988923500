/**
 * Follows one deployment through DescribeServices (and ListTasks /
 * DescribeTasks for health) until it ends: COMPLETED, FAILED (and maybe
 * rolled back by the circuit breaker), or replaced by someone else's
 * deployment. Prints the service's events as they arrive and a progress
 * line: redrawn in place on a terminal, a plain line when it changes
 * otherwise.
 */
import type { ApiClient } from './api-client';
import { CliError, EXIT_TIMEOUT, type Io } from './context';
import type { EcsDeployment, EcsService, EcsServiceEvent, EcsTask, ServicesResponse } from './ecs-types';
import { describeAll, listAll } from './paging';
import { formatTime, taskDefinitionName } from './output/format';
import { progressLine, type DeploySnapshot } from './output/deployments';

export type DeployOutcome =
  | { result: 'COMPLETED'; deployment: EcsDeployment }
  | { result: 'FAILED'; deployment: string; reason: string; rollback?: { deployment: EcsDeployment; completed: boolean } }
  | { result: 'REPLACED'; deployment: string; by: EcsDeployment };

export interface WatchOptions {
  cluster: string;
  service: string;
  deploymentId: string;
  /** ms since the epoch: events older than this are not this deployment's. */
  since: number;
  /** 0 waits until the deployment ends (the control plane's deployment timeout ends every one). */
  timeoutMs: number;
  /** Print events and plain progress lines (table output). */
  verbose: boolean;
}

const ROLLING_BACK = /rolling back to deploymentId (ecs-svc\/\d+)/;

/** Poll every 250 ms growing to 1 s: progress stays live, the API is not hammered. */
export const pollDelay = (attempt: number) => Math.min(1000, 250 * 1.5 ** attempt);

export async function describeService(client: ApiClient, cluster: string, service: string): Promise<EcsService> {
  const r = await client.call<ServicesResponse>('DescribeServices', { cluster, services: [service] });
  const s = r.services?.[0];
  if (!s) throw new CliError(`service ${service} not found in cluster ${cluster}`);
  return s;
}

async function serviceTasks(client: ApiClient, cluster: string, service: string): Promise<EcsTask[]> {
  const arns = await listAll(client, 'ListTasks', { cluster, serviceName: service, desiredStatus: 'RUNNING' }, 'taskArns');
  return (await describeAll<EcsTask>(client, 'DescribeTasks', 'tasks', 'tasks', arns, { cluster })).items;
}

/** `(service s) (deployment id) deployment failed: why` → why. */
function failureFromEvents(events: EcsServiceEvent[], id: string): string | undefined {
  const m = events.map((e) => new RegExp(`\\(deployment ${id}\\) deployment failed: (.*)$`).exec(e.message)).find(Boolean);
  return m?.[1];
}

/** `rollback`: the deployment restores a revision, and the tasks still running it count as its own (as the control plane counts them). */
export function snapshotOf(s: EcsService, tasks: EcsTask[], following: EcsDeployment | undefined, elapsedMs: number, rollback = false): DeploySnapshot {
  const mine = (t: EcsTask) => following !== undefined && (t.startedBy === following.id || (rollback && t.taskDefinitionArn === following.taskDefinition));
  const fresh = tasks.filter(mine);
  const old = tasks.filter((t) => !mine(t));
  return {
    revision: taskDefinitionName(following?.taskDefinition),
    desired: following?.desiredCount ?? s.desiredCount ?? 0,
    fresh: {
      running: fresh.filter((t) => t.lastStatus === 'RUNNING').length,
      pending: fresh.filter((t) => t.lastStatus !== 'RUNNING').length,
      healthy: fresh.filter((t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY').length,
    },
    old: { running: old.filter((t) => t.lastStatus === 'RUNNING').length, pending: old.filter((t) => t.lastStatus !== 'RUNNING').length },
    elapsedMs,
  };
}

export async function watchDeployment(client: ApiClient, io: Io, opts: WatchOptions): Promise<DeployOutcome> {
  const started = io.now();
  const tty = io.stderr.isTTY === true;
  const printed = new Set<string>();
  let lastPlain = '';
  let failure: { id: string; reason: string } | undefined;
  let rollbackId: string | undefined;
  const clear = () => tty && io.stderr.write('\r\x1b[2K');
  try {
    for (let attempt = 0; ; attempt++) {
      const s = await describeService(client, opts.cluster, opts.service);
      const events = [...(s.events ?? [])].reverse().filter((e) => (e.createdAt ?? 0) * 1000 >= opts.since - 2000 && !printed.has(e.id));
      if (opts.verbose && events.length > 0) {
        clear();
        for (const e of events) io.stderr.write(`${formatTime(e.createdAt)}  ${e.message}\n`);
      }
      events.forEach((e) => printed.add(e.id));
      const deployments = s.deployments ?? [];
      const primary = deployments.find((d) => d.status === 'PRIMARY');
      const ours = deployments.find((d) => d.id === opts.deploymentId);

      if (!failure) {
        if (ours?.rolloutState === 'COMPLETED') return { result: 'COMPLETED', deployment: ours };
        if (ours?.rolloutState === 'FAILED') failure = { id: ours.id, reason: ours.rolloutStateReason ?? 'deployment failed' };
        else if (primary && primary.id !== opts.deploymentId) {
          const back = ROLLING_BACK.exec(primary.rolloutStateReason ?? '');
          // A FAILED deployment with no tasks left is no longer listed; its events say why.
          const why = failureFromEvents(s.events ?? [], opts.deploymentId);
          if (!back && !why) return { result: 'REPLACED', deployment: opts.deploymentId, by: primary };
          failure = { id: opts.deploymentId, reason: ours?.rolloutStateReason ?? (why === 'tasks failed to start.' ? 'ECS deployment circuit breaker: tasks failed to start.' : (why ?? 'deployment failed')) };
        }
        if (failure && primary && primary.id !== opts.deploymentId) rollbackId = primary.id;
        if (failure && !rollbackId) return { result: 'FAILED', deployment: failure.id, reason: failure.reason };
      }
      if (failure && rollbackId) {
        const back = deployments.find((d) => d.id === rollbackId);
        if (!back || back.status !== 'PRIMARY') return { result: 'FAILED', deployment: failure.id, reason: failure.reason, ...(back ? { rollback: { deployment: back, completed: false } } : {}) };
        if (back.rolloutState === 'COMPLETED' || back.rolloutState === 'FAILED') {
          return { result: 'FAILED', deployment: failure.id, reason: failure.reason, rollback: { deployment: back, completed: back.rolloutState === 'COMPLETED' } };
        }
      }

      const following = rollbackId ? deployments.find((d) => d.id === rollbackId) : ours;
      const elapsed = io.now() - started;
      const rollingBack = rollbackId !== undefined;
      const line = progressLine(snapshotOf(s, await serviceTasks(client, opts.cluster, opts.service), following, elapsed, rollingBack), rollingBack);
      if (tty) io.stderr.write(`\r\x1b[2K${line}`);
      else if (opts.verbose) {
        const plain = line.replace(/ \(\d+s\)$/, '');
        if (plain !== lastPlain) io.stderr.write(`${line}\n`);
        lastPlain = plain;
      }
      if (opts.timeoutMs > 0 && elapsed >= opts.timeoutMs) {
        throw new CliError(`timed out after ${Math.round(opts.timeoutMs / 1000)}s: deployment ${opts.deploymentId} is still ${ours?.rolloutState ?? 'IN_PROGRESS'} (${line})`, EXIT_TIMEOUT);
      }
      let delay = pollDelay(attempt);
      if (opts.timeoutMs > 0) delay = Math.max(0, Math.min(delay, opts.timeoutMs - elapsed));
      await io.sleep(delay, io.signal);
    }
  } finally {
    clear();
  }
}
