import { taskDefinitionName, type Deployment, type Service, type Task } from './ecs-types';

export interface DeploymentProgress {
  id: string;
  status: string;
  revision: string;
  rolloutState: string;
  rolloutStateReason?: string;
  desired: number;
  running: number;
  pending: number;
  failed: number;
  /** Healthy tasks of this deployment among those that report health (tasks without a health check count once RUNNING). */
  healthy: number;
  /** 0-100: how far the deployment has come toward its desired count (for an old one: how far it has drained). */
  percent: number;
}

export interface ServiceProgress {
  /** COMPLETED when the primary deployment completed and no older one still runs tasks. */
  phase: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'NONE';
  primary?: DeploymentProgress;
  others: DeploymentProgress[];
  /** One line in `stevedore deploy`'s words: "app:3: new 2/3 healthy (3 running, 0 pending) | old 1 running". */
  line: string;
}

const clampPercent = (n: number) => Math.max(0, Math.min(100, Math.round(n)));

/** A deployment's tasks: started by it (ECS sets startedBy to the deployment id), or running its revision when none carry an id. */
function tasksOf(d: Deployment, tasks: readonly Task[]): Task[] {
  return tasks.filter((t) => t.startedBy === d.id);
}

function progressOf(d: Deployment, tasks: readonly Task[]): DeploymentProgress {
  const own = tasksOf(d, tasks);
  const desired = d.desiredCount ?? 0;
  const running = d.runningCount ?? own.filter((t) => t.lastStatus === 'RUNNING').length;
  const pending = d.pendingCount ?? own.filter((t) => t.lastStatus !== 'RUNNING').length;
  const healthy = own.filter((t) => t.lastStatus === 'RUNNING' && (t.healthStatus === 'HEALTHY' || t.healthStatus === undefined || t.healthStatus === 'UNKNOWN')).length;
  const primary = d.status === 'PRIMARY';
  // An old deployment progresses as it drains: its share left running, against what it had when the new one started (its desired count then).
  const percent = primary ? (desired === 0 ? 100 : (Math.min(running, desired) / desired) * 100) : desired === 0 && running === 0 ? 100 : running === 0 ? 100 : 100 - (running / Math.max(desired, running)) * 100;
  return {
    id: d.id,
    status: d.status,
    revision: taskDefinitionName(d.taskDefinition),
    rolloutState: d.rolloutState ?? (primary && running >= desired && pending === 0 ? 'COMPLETED' : 'IN_PROGRESS'),
    ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
    desired,
    running,
    pending,
    failed: d.failedTasks ?? 0,
    healthy: Math.min(healthy, running),
    percent: clampPercent(percent),
  };
}

/** The live progress of a service's deployments, from DescribeServices and its RUNNING tasks (ListTasks/DescribeTasks). */
export function serviceProgress(s: Pick<Service, 'deployments' | 'desiredCount'>, tasks: readonly Task[] = []): ServiceProgress {
  const deployments = (s.deployments ?? []).filter((d) => d.status !== 'INACTIVE');
  const primaryD = deployments.find((d) => d.status === 'PRIMARY');
  if (!primaryD) return { phase: 'NONE', others: [], line: 'no deployment' };
  const primary = progressOf(primaryD, tasks);
  const others = deployments.filter((d) => d !== primaryD).map((d) => progressOf(d, tasks));
  const oldRunning = others.reduce((n, o) => n + o.running, 0);
  const oldPending = others.reduce((n, o) => n + o.pending, 0);
  const phase = primary.rolloutState === 'FAILED' ? 'FAILED' : primary.rolloutState === 'COMPLETED' && oldRunning + oldPending === 0 ? 'COMPLETED' : 'IN_PROGRESS';
  const old = oldRunning + oldPending === 0 ? 'none left' : `${oldRunning} running${oldPending > 0 ? `, ${oldPending} pending` : ''}`;
  const line = `${primary.revision}: new ${primary.healthy}/${primary.desired} healthy (${primary.running} running, ${primary.pending} pending) | old ${old}`;
  return { phase, primary, others, line };
}

/** A task's place for the tasks-per-instance-and-zone view. */
export function groupTasksByPlacement(tasks: readonly Task[]): { zone: string; instance: string; tasks: Task[] }[] {
  const groups = new Map<string, { zone: string; instance: string; tasks: Task[] }>();
  for (const t of tasks) {
    const zone = t.availabilityZone ?? '-';
    const instance = t.containerInstanceArn ? t.containerInstanceArn.slice(t.containerInstanceArn.lastIndexOf('/') + 1) : '-';
    const key = `${zone}\n${instance}`;
    const g = groups.get(key) ?? { zone, instance, tasks: [] };
    g.tasks.push(t);
    groups.set(key, g);
  }
  return [...groups.values()].sort((a, b) => a.zone.localeCompare(b.zone) || a.instance.localeCompare(b.instance));
}
