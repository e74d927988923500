import type { Logger } from 'pino';
import { awslogsConfigOf, awslogsStreamName, type AwslogsConfig, type ContainerDefinition } from '@stevedore/core/host';
import type { ContainerController } from '../exec/container-controller';
import { LABEL } from '../docker/labels';
import { ContainerShipper, type AwslogsTarget, type SendLogEvents } from './container-shipper';
import type { OffsetStore } from './offset-store';

/** Label carrying a container's awslogs settings: after a restart the agent resumes shipping from it. */
export const AWSLOGS_LABEL = 'stevedore.awslogs';

export interface AwslogsLabel {
  cfg: AwslogsConfig;
}

/** The label value for a container definition using awslogs, undefined otherwise. */
export function awslogsLabel(def: ContainerDefinition): string | undefined {
  const cfg = awslogsConfigOf(def.logConfiguration);
  return cfg ? JSON.stringify({ cfg } satisfies AwslogsLabel) : undefined;
}

export interface AwslogsShipperDeps {
  controller: ContainerController;
  send: SendLogEvents;
  offsets: OffsetStore;
  instanceId: string;
  log: Logger;
  now: () => number;
  /** How often each container's buffer is sent (default 1 s; the ECS driver's default is 5 s). */
  flushIntervalMs?: number;
}

/** How long a container start waits for the control plane to create its stream. */
const PREPARE_WAIT_MS = 30_000;

/** The error a container fails to start with when its stream cannot be set up, in the ECS agent's words. */
export class LogDriverError extends Error {
  override readonly name = 'LogDriverError';
}

/**
 * The agent side of awslogs (docs/design/logs.md): one ContainerShipper per
 * container using awslogs; containers run on json-file underneath. Before a
 * container starts, `prepare` has the control plane create its stream (and
 * its group with awslogs-create-group), or fails the start as the Docker
 * driver would. After a restart, `resume` finds the containers by label and
 * ships from their stored offsets.
 */
export class AwslogsShipper {
  private readonly shippers = new Map<string, ContainerShipper>();
  private timer: NodeJS.Timeout | undefined;
  private rescanTimer: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(private readonly deps: AwslogsShipperDeps) {}

  /** The target of a container of a task, from its definition; undefined when it does not use awslogs. */
  static targetOf(taskArn: string, taskId: string, def: ContainerDefinition, runtimeId: string): AwslogsTarget | undefined {
    const cfg = awslogsConfigOf(def.logConfiguration);
    if (!cfg) return undefined;
    return { taskArn, taskId, containerName: def.name, runtimeId, stream: awslogsStreamName(cfg.streamPrefix, def.name, taskId, runtimeId), cfg };
  }

  /** Creates the stream (and the group when allowed) before the container starts; throws LogDriverError when ECS's driver would fail. */
  async prepare(t: AwslogsTarget): Promise<void> {
    let res;
    // A control plane briefly away (a reconnect) delays the start rather than failing it.
    const deadline = this.deps.now() + PREPARE_WAIT_MS;
    for (;;) {
      try {
        res = await this.deps.send([{ task_arn: t.taskArn, container_name: t.containerName, log_group: t.cfg.group, log_stream: t.stream, create_group: t.cfg.createGroup, events: [] }]);
        break;
      } catch (err) {
        if (this.deps.now() >= deadline) throw new LogDriverError(`failed to initialize logging driver: failed to create Cloudwatch log stream: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    const r = res[0];
    if (r?.error_code) throw new LogDriverError(`failed to initialize logging driver: failed to create Cloudwatch log stream: ${r.error_code}: ${r.error_message}`);
  }

  /** Starts shipping a container's log (idempotent). */
  watch(t: AwslogsTarget): void {
    if (this.shippers.has(t.runtimeId)) return;
    const s = new ContainerShipper(t, { ...this.deps, log: this.deps.log.child({ task: t.taskId, container: t.containerName }) });
    if (s.done) return;
    this.shippers.set(t.runtimeId, s);
    s.start();
  }

  /** Every line the container wrote was delivered (or it never shipped anything). */
  isDrained(runtimeId: string): boolean {
    const s = this.shippers.get(runtimeId);
    return s === undefined || s.done;
  }

  /** Waits until every container of `runtimeIds` is drained, or the deadline; returns whether they all are. */
  async waitDrained(runtimeIds: Iterable<string>, timeoutMs: number): Promise<boolean> {
    const ids = [...runtimeIds];
    const deadline = this.deps.now() + timeoutMs;
    while (!ids.every((id) => this.isDrained(id))) {
      if (this.deps.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 200));
    }
    return true;
  }

  /** Containers of this instance carrying the awslogs label, shipped from their offsets; offsets of vanished containers forgotten. */
  async resume(): Promise<void> {
    // Only shippers known before the listing can be judged by it: one watched meanwhile is for a container newer than the list.
    const known = new Set(this.shippers.keys());
    const list = await this.deps.controller.listContainers({ [LABEL.instance]: this.deps.instanceId });
    const alive = new Set<string>();
    for (const o of list) {
      alive.add(o.runtimeId);
      const raw = o.labels[AWSLOGS_LABEL];
      const taskArn = o.labels[LABEL.task];
      const taskId = o.labels[LABEL.taskId];
      const container = o.labels[LABEL.container];
      if (!raw || !taskArn || !taskId || !container) continue;
      let label: AwslogsLabel;
      try {
        label = JSON.parse(raw) as AwslogsLabel;
      } catch {
        continue;
      }
      // A container that never started has nothing to ship and its stream may not exist.
      if (o.startedAt === undefined && !o.running) continue;
      const cfg = label.cfg;
      this.watch({ taskArn, taskId, containerName: container, runtimeId: o.runtimeId, stream: awslogsStreamName(cfg.streamPrefix, container, taskId, o.runtimeId), cfg });
    }
    for (const id of known) {
      if (!alive.has(id) && this.shippers.has(id)) {
        this.shippers.get(id)!.close();
        this.shippers.delete(id);
      }
    }
    await this.deps.offsets.retain(new Set([...alive, ...this.shippers.keys()]));
  }

  start(): void {
    const every = this.deps.flushIntervalMs ?? 1000;
    const tick = async () => {
      if (this.ticking) return;
      this.ticking = true;
      try {
        await Promise.all([...this.shippers.values()].map((s) => s.tick().catch((err: unknown) => this.deps.log.warn({ err }, 'awslogs: flush failed'))));
      } finally {
        this.ticking = false;
      }
    };
    this.timer = setInterval(() => void tick(), every);
    this.timer.unref();
    const rescan = () =>
      void this.resume()
        .catch((err: unknown) => this.deps.log.warn({ err: (err as Error).message }, 'awslogs: scanning containers failed; retrying'))
        .finally(() => {
          this.rescanTimer = setTimeout(rescan, 30_000);
          this.rescanTimer.unref();
        });
    rescan();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.rescanTimer);
    for (const s of this.shippers.values()) s.close();
    this.shippers.clear();
  }
}
