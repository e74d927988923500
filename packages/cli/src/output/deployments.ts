/** Deployment progress and outcome, for people. */
import type { EcsDeployment } from '../ecs-types';
import { taskDefinitionName } from './format';

export interface DeploySnapshot {
  /** `family:revision` being deployed. */
  revision: string;
  desired: number;
  fresh: { running: number; pending: number; healthy: number };
  old: { running: number; pending: number };
  elapsedMs: number;
}

/** `web:4: new 2/4 healthy (3 running, 1 pending) | old 4 running (12s)`. */
export function progressLine(s: DeploySnapshot, rollback = false): string {
  const fresh = `${s.fresh.healthy}/${s.desired} healthy (${s.fresh.running} running, ${s.fresh.pending} pending)`;
  const old = s.old.running + s.old.pending === 0 ? 'none left' : `${s.old.running} running${s.old.pending > 0 ? `, ${s.old.pending} pending` : ''}`;
  return `${rollback ? 'rolling back to ' : ''}${s.revision}: new ${fresh} | old ${old} (${Math.floor(s.elapsedMs / 1000)}s)`;
}

export function deploymentLabel(d: EcsDeployment): string {
  return `${d.id} (${taskDefinitionName(d.taskDefinition)})`;
}
