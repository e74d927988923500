import { randomBytes } from 'node:crypto';
import type { NetworkBinding, TaskAssignment } from '@stevedore/core/host';
import { LABEL } from '../docker/labels';
import { runtimeMessage, type ContainerObservation } from '../exec/container-controller';
import { buildPauseRequest, needsPause, PAUSE_LABEL, ResourceInitializationError, type SharedTaskResources } from './create-request';
import { TaskEndpointUnavailable, type EndpointGrant } from './endpoint-grant';
import { DEFAULT_PAUSE, type RunnerContext } from './runner-context';

/**
 * What a task's containers share on the host: the task cgroup (FARGATE: the
 * task's cpu and memory over all its containers) and the pause container
 * whose namespaces they join (awsvpc, pidMode/ipcMode task), with the
 * endpoint rule keyed on its MAC. Set up once, before the first container
 * is created; released when the task is STOPPED.
 */
export class TaskNamespaces {
  private shared: Promise<SharedTaskResources> | undefined;
  private released = false;
  /** Endpoint grants begun while the container's image was pulled, by container name: its create step takes it. */
  private readonly earlyGrants = new Map<string, Promise<EndpointGrant | undefined>>();
  /** Ports the pause container publishes (awsvpc): each container reports those of its own port mappings. */
  pauseBindings: NetworkBinding[] | undefined;

  constructor(
    private readonly taskArn: string,
    private readonly ctx: RunnerContext,
  ) {}

  /** The shared resources, set up on the first call; a failure fails the container being created and the next call tries again. */
  setUp(spec: TaskAssignment): Promise<SharedTaskResources> {
    this.shared ??= this.attempt(spec).catch((err: unknown) => {
      this.shared = undefined;
      throw new ResourceInitializationError(`failed to set up the task's namespaces: ${runtimeMessage(err)}`);
    });
    return this.shared;
  }

  async findPause(): Promise<ContainerObservation | undefined> {
    const list = await this.ctx.controller.listContainers({ [LABEL.instance]: this.ctx.instanceId, [LABEL.task]: this.taskArn, [PAUSE_LABEL]: 'true' });
    return list.find((o) => o.running) ?? list[0];
  }

  /** Adopted after a restart: learn the pause container's ports before reporting bindings. */
  async learnPauseBindings(): Promise<void> {
    if (this.pauseBindings === undefined) this.pauseBindings = (await this.findPause())?.networkBindings;
  }

  /** What the task endpoint gives a container; its refusals are the task's ResourceInitializationError. */
  async endpointGrant(fn: () => Promise<EndpointGrant> | undefined): Promise<EndpointGrant | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof TaskEndpointUnavailable) throw new ResourceInitializationError(err.message);
      throw err;
    }
  }

  /**
   * Begins a container's endpoint grant (its MAC and iptables rules, its task
   * role credentials) while its image is being pulled, off the start path;
   * the create step awaits it (grantFor), so its errors fail the create step
   * as before. The rules of a grant never used go when the task stops (the
   * endpoint releases everything of the task).
   */
  beginGrant(container: string, fn: () => Promise<EndpointGrant> | undefined): void {
    if (this.earlyGrants.has(container)) return;
    const grant = this.endpointGrant(fn);
    grant.catch(() => {}); // awaited, and reported, by the create step
    this.earlyGrants.set(container, grant);
  }

  /** Resolves once no early grant is still being made: the task's endpoint release must come after them. */
  async grantsSettled(): Promise<void> {
    await Promise.allSettled(this.earlyGrants.values());
  }

  /** The grant begun for this container, else a new one. */
  grantFor(container: string, fn: () => Promise<EndpointGrant> | undefined): Promise<EndpointGrant | undefined> {
    const early = this.earlyGrants.get(container);
    this.earlyGrants.delete(container);
    return early ?? this.endpointGrant(fn);
  }

  /** Once the task is STOPPED: its pause container stops (freeing its ports) and its cgroup goes; the containers stay for their logs. */
  release(spec: TaskAssignment): void {
    if (this.released) return;
    this.released = true;
    void (async () => {
      if (needsPause(spec)) {
        const pause = await this.findPause();
        if (pause?.running) await this.ctx.controller.stopContainer(pause.runtimeId, 1);
      }
      if (spec.launchType === 'FARGATE') await this.ctx.cgroups?.remove(spec.taskId);
    })().catch((err: unknown) => this.ctx.log.warn({ err: runtimeMessage(err) }, 'releasing the task namespaces failed; cleanup retries'));
  }

  private async attempt(spec: TaskAssignment): Promise<SharedTaskResources> {
    const out: SharedTaskResources = {};
    if (spec.launchType === 'FARGATE' && this.ctx.cgroups && spec.cpu !== undefined && spec.memory !== undefined) {
      out.cgroupParent = await this.ctx.cgroups.create(spec.taskId, { cpu: Number(spec.cpu), memoryMiB: Number(spec.memory) });
    }
    if (!needsPause(spec)) return out;
    const pause = this.ctx.pause ?? DEFAULT_PAUSE;
    const existing = await this.findPause();
    let id = existing?.runtimeId;
    if (id === undefined) {
      await this.ctx.images.ensure(pause.image);
      // awsvpc: the task's containers share the pause container's network, so the endpoint rule is keyed on its MAC.
      const grant = spec.networkMode === 'awsvpc' ? await this.endpointGrant(() => this.ctx.endpoint?.preparePause(spec)) : undefined;
      const request = buildPauseRequest(spec, pause, { ...this.ctx, suffix: randomBytes(10).toString('hex') }, out.cgroupParent);
      if (grant?.macAddress) {
        request.macAddress = grant.macAddress;
        request.labels = { ...request.labels, ...grant.labels };
      }
      id = await this.ctx.controller.createContainer(request);
    }
    if (!existing?.running) await this.ctx.controller.startContainer(id);
    const obs = await this.ctx.controller.inspectContainer(id);
    if (!obs?.running) throw new Error(`the pause container (${pause.image}) did not stay up`);
    this.pauseBindings = obs.networkBindings;
    this.ctx.log.info({ pause: obs.dockerName, cgroupParent: out.cgroupParent, ports: obs.networkBindings.length }, 'task namespaces ready');
    return { ...out, pauseId: id };
  }
}
