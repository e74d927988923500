import { LABEL } from '../docker/labels';
import type { ContainerObservation } from '../exec/container-controller';
import { applyObservation, VANISHED_WHILE_DOWN, type ContainerState, type TaskState } from './task-state';

/**
 * Rebuilds one task after an agent restart from its journal entry (if any)
 * and the labelled containers Docker still has. Never starts or stops
 * anything: it only establishes what is true, forward from what was known.
 */
export function restoreTask(taskArn: string, saved: TaskState | undefined, observations: ContainerObservation[]): TaskState {
  const t: TaskState = saved
    ? { ...saved, containers: saved.containers.map((c) => ({ ...c })) }
    : { taskArn, desired: 'RUNNING', lastStatus: 'PENDING', containers: [] };
  const unmatched = new Set(observations);
  const take = (o: ContainerObservation) => {
    unmatched.delete(o);
    return o;
  };
  for (const c of t.containers) {
    // An action in flight when the agent died never reported back: re-decide it.
    c.applied = c.known;
    let obs = c.runtimeId ? observations.find((o) => o.runtimeId === c.runtimeId) : undefined;
    if (!obs && !c.runtimeId) {
      // Created just before the crash, before the journal learnt its id: labels tell.
      const candidates = observations.filter((o) => unmatched.has(o) && o.labels[LABEL.container] === c.name);
      obs = candidates.find((o) => o.running) ?? candidates[0];
    }
    if (obs) take(obs);
    applyObservation(c, obs, VANISHED_WHILE_DOWN);
  }
  for (const o of unmatched) {
    const name = o.labels[LABEL.container];
    if (!name || t.containers.some((c) => c.name === name)) continue;
    // Known only from labels: not acted upon until the control plane resends the spec.
    const c: ContainerState = { name, essential: false, known: 'NONE', applied: 'NONE', health: 'UNKNOWN', networkBindings: [] };
    applyObservation(c, o, VANISHED_WHILE_DOWN);
    t.containers.push(c);
  }
  return t;
}

/** Groups observations by task ARN label. */
export function byTask(observations: ContainerObservation[]): Map<string, ContainerObservation[]> {
  const out = new Map<string, ContainerObservation[]>();
  for (const o of observations) {
    const arn = o.labels[LABEL.task];
    if (!arn) continue;
    const list = out.get(arn) ?? [];
    list.push(o);
    out.set(arn, list);
  }
  return out;
}
