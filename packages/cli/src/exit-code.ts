/**
 * How a waited-for run turns into a process exit code, as a pure function so
 * the rules are tested on their own:
 *  - a STOPPED task contributes the exit code of its first essential container
 *    that has one (1 when none has, e.g. it never started);
 *  - the first non-zero contribution wins;
 *  - placement failures (`failures[]`) make an otherwise clean run exit 1.
 */
import type { EcsTask, Failure, TaskDefinition } from './ecs-types';

/** Container names that are essential in a task definition (ECS default: essential). */
export function essentialNames(def: Pick<TaskDefinition, 'containerDefinitions'> | undefined): Set<string> | undefined {
  if (!def) return undefined;
  return new Set(def.containerDefinitions.filter((c) => c.essential !== false).map((c) => c.name));
}

/** Exit codes outside 0..255 would wrap in the shell (256 becomes 0). */
export function clampExitCode(code: number): number {
  if (!Number.isInteger(code)) return 1;
  if (code >= 0 && code <= 255) return code;
  return 1;
}

/**
 * `essential` undefined means the task definition is unknown: every container
 * counts as essential then, which is ECS's own default.
 */
export function stoppedTaskExitCode(task: EcsTask, essential: Set<string> | undefined): number {
  for (const c of task.containers ?? []) {
    if (essential && !essential.has(c.name)) continue;
    if (c.exitCode !== undefined && c.exitCode !== null) return clampExitCode(c.exitCode);
  }
  return 1;
}

export function runExitCode(
  tasks: EcsTask[],
  failures: Failure[] | undefined,
  essentialOf: (taskDefinitionArn: string | undefined) => Set<string> | undefined,
): number {
  for (const t of tasks) {
    if (t.lastStatus !== 'STOPPED') continue;
    const code = stoppedTaskExitCode(t, essentialOf(t.taskDefinitionArn));
    if (code !== 0) return code;
  }
  if ((failures?.length ?? 0) > 0) return 1;
  return 0;
}
