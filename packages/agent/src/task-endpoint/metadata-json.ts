import type { Tag } from '@stevedore/core/host';
import type { TaskState, ContainerState } from '../worker/task-state';
import type { ClockDrift } from './clock-drift';

/**
 * Task metadata endpoint v4 payloads (ECS field names, ecs-semantics.md
 * 10.4), from the agent's task state and what Docker says about each
 * container. Pure: the server gathers the inputs. Optional fields are
 * omitted when empty, as the ECS agent does.
 */
export interface DockerFacts {
  imageId?: string;
  createdAt?: string;
  labels?: Record<string, string>;
  ipv4?: string;
  mac?: string;
}

export interface TaskContext {
  availabilityZone: string;
  /** The service that started the task, when `startedBy` says so (ecs-svc/...). */
  serviceName?: string;
  /** The host clock's error bound and synchronisation (clock-drift.ts), when it can be read. */
  clockDrift?: ClockDrift;
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

function compact<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export function containerMetadata(task: TaskState, c: ContainerState, docker: DockerFacts): Record<string, unknown> {
  const def = c.definition;
  const networkMode = task.spec?.networkMode === 'awsvpc' ? 'awsvpc' : task.spec?.networkMode ?? 'bridge';
  return compact({
    DockerId: c.runtimeId,
    Name: c.name,
    DockerName: c.dockerName,
    Image: def?.image,
    ImageID: docker.imageId,
    Ports: c.networkBindings.length
      ? c.networkBindings.map((b) => ({ ContainerPort: b.containerPort, Protocol: b.protocol, HostPort: b.hostPort, HostIp: b.bindIP }))
      : undefined,
    Labels: docker.labels,
    DesiredStatus: task.desired,
    KnownStatus: c.known,
    ExitCode: c.exitCode,
    Limits: { CPU: def?.cpu ?? 0, Memory: def?.memory ?? 0 },
    CreatedAt: docker.createdAt,
    StartedAt: iso(c.startedAt),
    FinishedAt: iso(c.finishedAt),
    Type: 'NORMAL',
    LogDriver: def?.logConfiguration?.logDriver ?? 'json-file',
    LogOptions: def?.logConfiguration?.options,
    ContainerARN: task.spec?.containers.find((d) => d.name === c.name)?.containerArn,
    // As the ECS agent: only for a container with a restart policy.
    RestartCount: def?.restartPolicy?.enabled ? c.restartCount ?? 0 : undefined,
    Networks:
      networkMode === 'none'
        ? undefined
        : [compact({ NetworkMode: networkMode, IPv4Addresses: docker.ipv4 ? [docker.ipv4] : [], MACAddress: docker.mac })],
  });
}

/** Task-level CPU in vCPU (units / 1024) and memory in MiB, as TMDS shows them; absent when the task sets none. */
function taskLimits(task: TaskState): { CPU?: number; Memory?: number } | undefined {
  const cpu = task.spec?.cpu !== undefined ? Number(task.spec.cpu) / 1024 : undefined;
  const memory = task.spec?.memory !== undefined ? Number(task.spec.memory) : undefined;
  if (cpu === undefined && memory === undefined) return undefined;
  return compact({ CPU: cpu, Memory: memory });
}

export function taskMetadata(task: TaskState, containers: Record<string, unknown>[], ctx: TaskContext): Record<string, unknown> {
  const spec = task.spec;
  return compact({
    Cluster: spec?.cluster,
    TaskARN: task.taskArn,
    Family: spec?.family,
    Revision: spec ? String(spec.revision) : undefined,
    ServiceName: spec?.serviceName ?? ctx.serviceName,
    DesiredStatus: task.desired,
    KnownStatus: task.lastStatus,
    Limits: taskLimits(task),
    PullStartedAt: iso(task.pullStartedAt),
    PullStoppedAt: iso(task.pullStoppedAt),
    ExecutionStoppedAt: iso(task.executionStoppedAt),
    AvailabilityZone: ctx.availabilityZone,
    LaunchType: spec?.launchType ?? 'EC2',
    ClockDrift: ctx.clockDrift,
    Containers: containers,
  });
}

/**
 * `${URI}/taskWithTags`: the /task payload plus the task's tags (RunTask
 * `tags`, or the service's with propagateTags) and the container instance's
 * (the agent's --container-instance-tags), as `TaskTags` and
 * `ContainerInstanceTags` objects, placed where ECS's example puts them.
 */
export function taskWithTags(meta: Record<string, unknown>, taskTags: readonly Tag[], instanceTags: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (k === 'LaunchType') {
      // Own keys only, defined as data: a tag named __proto__ stays a tag.
      out['TaskTags'] = Object.fromEntries(taskTags.map((t) => [t.key, t.value ?? '']));
      out['ContainerInstanceTags'] = Object.fromEntries(Object.entries(instanceTags));
    }
    out[k] = v;
  }
  return out;
}
