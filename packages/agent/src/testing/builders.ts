import type { ContainerDefinition, TaskAssignment } from '@stevedore/core/host';

/** Valid defaults for tests (Nomad mock.Job()): override only what a test is about. */
let seq = 0;

export const TEST_IMAGE = 'stevedore-test/busybox:latest';

export function containerDef(over: Partial<ContainerDefinition> & { name: string }): ContainerDefinition {
  return { image: TEST_IMAGE, essential: true, memory: 64, ...over };
}

export function assignment(over: Omit<Partial<TaskAssignment>, 'containers'> & { containers?: ContainerDefinition[] } = {}): TaskAssignment {
  const id = over.taskId ?? `${(++seq).toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
  const cluster = over.cluster ?? 'test';
  const containers = (over.containers ?? [containerDef({ name: 'app', command: ['sleep', '3600'] })]).map((c, i) => ({
    containerArn: `arn:aws:ecs:us-east-1:000000000000:container/${cluster}/${id}/${i}`,
    ...c,
  }));
  return {
    taskArn: `arn:aws:ecs:us-east-1:000000000000:task/${cluster}/${id}`,
    taskId: id,
    cluster,
    family: 'web',
    revision: 1,
    desiredStatus: 'RUNNING',
    version: 1,
    networkMode: 'bridge',
    volumes: [],
    ...over,
    containers,
  };
}

export function stopped(a: TaskAssignment, stopCode: TaskAssignment['stopCode'] = 'UserInitiated', stoppedReason = 'Task stopped by user'): TaskAssignment {
  const out: TaskAssignment = { ...a, desiredStatus: 'STOPPED', version: a.version + 1 };
  if (stopCode) out.stopCode = stopCode;
  out.stoppedReason = stoppedReason;
  return out;
}
