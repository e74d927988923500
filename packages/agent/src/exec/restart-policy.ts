import type { ContainerDefinition } from '@stevedore/core/host';

/** ECS's default: a container must have run 300 s before it is restarted again. */
export const DEFAULT_RESTART_ATTEMPT_PERIOD_S = 300;

export interface ExitFacts {
  exitCode: number | undefined;
  /** Epoch ms of the run that just ended. */
  startedAt: number | undefined;
  finishedAt: number | undefined;
  /** The task still wants to run and the agent did not stop this container itself. */
  wanted: boolean;
}

/**
 * ECS container restart policy, decided by the agent (pure): a container of
 * a running task that exits is started again in place, unless its exit code
 * is one of `ignoredExitCodes`, or it ran less than `restartAttemptPeriod`
 * seconds (a container that cannot stay up stops as without a policy, so
 * restarts never loop faster than the period). `periodScale` is the agent's
 * `--restart-attempt-period-scale` (1 but for tests and demos): ECS's 60 s
 * minimum times 0.05 is 3 s.
 */
export function shouldRestart(policy: ContainerDefinition['restartPolicy'], exit: ExitFacts, periodScale = 1): { restart: boolean; why: string } {
  if (!policy?.enabled) return { restart: false, why: 'no restart policy' };
  if (!exit.wanted) return { restart: false, why: 'the task is stopping' };
  if (exit.exitCode === undefined) return { restart: false, why: 'no exit code' };
  if ((policy.ignoredExitCodes ?? []).includes(exit.exitCode)) return { restart: false, why: `exit code ${exit.exitCode} is in ignoredExitCodes` };
  const period = (policy.restartAttemptPeriod ?? DEFAULT_RESTART_ATTEMPT_PERIOD_S) * 1000 * periodScale;
  const ran = exit.startedAt !== undefined && exit.finishedAt !== undefined ? exit.finishedAt - exit.startedAt : 0;
  if (ran < period) return { restart: false, why: `it ran ${Math.round(ran / 1000)} s, less than the restartAttemptPeriod of ${period / 1000} s` };
  return { restart: true, why: `exit code ${exit.exitCode} after ${Math.round(ran / 1000)} s` };
}
