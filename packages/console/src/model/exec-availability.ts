import type { Container, Task } from './ecs-types';

/**
 * Whether the task page offers a terminal in a container (ECS Exec), and if
 * not yet, why. Nothing is offered when the key may not call
 * ecs:ExecuteCommand or the task was not started with enableExecuteCommand
 * (ExecuteCommand would refuse it either way), nor on a stopped task; a task or container that is
 * not running yet, or whose ExecuteCommandAgent is not, gets the button
 * disabled with the reason.
 */
export type ExecAvailability = { offered: false } | { offered: true; ready: true } | { offered: true; ready: false; reason: string };

export function execAvailability(task: Task, container: Container, mayExec: boolean): ExecAvailability {
  // A stopped task never runs anything again: nothing to offer.
  if (!mayExec || task.enableExecuteCommand !== true || task.lastStatus === 'STOPPED') return { offered: false };
  if (task.desiredStatus !== 'RUNNING' || task.lastStatus !== 'RUNNING') return { offered: true, ready: false, reason: `the task is ${task.lastStatus}${task.desiredStatus !== task.lastStatus ? ` (desired ${task.desiredStatus})` : ''}` };
  if (container.lastStatus !== 'RUNNING') return { offered: true, ready: false, reason: `the container is ${container.lastStatus ?? 'not running'}` };
  const agent = container.managedAgents?.find((a) => a.name === 'ExecuteCommandAgent');
  if (agent && agent.lastStatus !== 'RUNNING') return { offered: true, ready: false, reason: `its ExecuteCommandAgent is ${agent.lastStatus ?? 'not running'}` };
  return { offered: true, ready: true };
}
