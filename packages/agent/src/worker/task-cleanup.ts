import { LABEL } from '../docker/labels';
import { runtimeMessage } from '../exec/container-controller';
import { taskScopedVolumes } from './task-volumes';
import type { TaskState } from './task-state';
import { AWSLOGS_DRAIN_WAIT_MS, type RunnerContext } from './runner-context';

/**
 * Removes a stopped task's containers (those it knows and any its labels
 * find), its task-scope volumes and cgroup, and its journal; logs are gone
 * after this. awslogs containers get up to AWSLOGS_DRAIN_WAIT_MS for their
 * last lines. False when Docker failed: the caller retries later.
 */
export async function cleanUpTask(ctx: RunnerContext, state: TaskState): Promise<boolean> {
  const { controller, instanceId } = ctx;
  const ids = new Set(state.containers.map((c) => c.runtimeId).filter((x): x is string => !!x));
  try {
    for (const o of await controller.listContainers({ [LABEL.instance]: instanceId, [LABEL.task]: state.taskArn })) ids.add(o.runtimeId);
    if (ctx.awslogs && !(await ctx.awslogs.waitDrained(ids, AWSLOGS_DRAIN_WAIT_MS))) {
      ctx.log.warn({ waitedMs: AWSLOGS_DRAIN_WAIT_MS }, 'awslogs: removing containers whose last lines are not delivered yet (the control plane is unreachable); those lines are lost');
    }
    for (const id of ids) await controller.removeContainer(id);
  } catch (err) {
    ctx.log.warn({ err: runtimeMessage(err) }, 'task cleanup failed; will retry');
    return false;
  }
  if (state.spec) for (const v of taskScopedVolumes(state.spec, instanceId)) await controller.removeVolume(v).catch((err: unknown) => ctx.log.warn({ volume: v, err: runtimeMessage(err) }, 'cannot remove task volume'));
  if (state.spec?.launchType === 'FARGATE') await ctx.cgroups?.remove(state.spec.taskId).catch((err: unknown) => ctx.log.warn({ err: runtimeMessage(err) }, 'cannot remove the task cgroup'));
  await ctx.journal.remove(state.taskArn);
  ctx.log.info({ containers: ids.size }, 'task cleaned up');
  return true;
}
