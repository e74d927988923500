import type { TaskAssignment, TaskSecrets } from '@stevedore/core/host';
import { fromWireAssignment, secretsOfWire, type SessionMessage, type WireAssignment } from '@stevedore/proto';

/**
 * The sequence rule of the Session stream (proto contract 1-3), pure: a
 * COMPLETE resets the sequence; an INCREMENTAL must apply to the last
 * results_in, or the agent has missed a message and must resync.
 */
export type Accepted =
  | { kind: 'complete'; assignments: TaskAssignment[]; secrets: Map<string, TaskSecrets>; invalid: { task: string; reason: string }[] }
  | { kind: 'incremental'; changed: TaskAssignment[]; removed: string[]; secrets: Map<string, TaskSecrets>; invalid: { task: string; reason: string }[] }
  | { kind: 'gap'; expected: number | undefined; got: number };

/** Secrets are kept apart from the assignments (which get journaled), keyed by task ARN. */
export function decodeAssignments(list: WireAssignment[]): { assignments: TaskAssignment[]; secrets: Map<string, TaskSecrets>; invalid: { task: string; reason: string }[] } {
  const assignments: TaskAssignment[] = [];
  const secrets = new Map<string, TaskSecrets>();
  const invalid: { task: string; reason: string }[] = [];
  for (const w of list) {
    try {
      // Checks the spec against its envelope and ECS's lists (WireFormatError otherwise).
      const a = fromWireAssignment(w);
      assignments.push(a);
      const s = secretsOfWire(w);
      if (s) secrets.set(a.taskArn, s);
    } catch (e) {
      invalid.push({ task: w.task_arn, reason: (e as Error).message });
    }
  }
  return { assignments, secrets, invalid };
}

export class AssignmentSequence {
  private last: number | undefined;

  get lastResultsIn(): number | undefined {
    return this.last;
  }

  accept(msg: SessionMessage): Accepted {
    if (msg.type === 'COMPLETE') {
      this.last = msg.results_in;
      const { assignments, secrets, invalid } = decodeAssignments(msg.assignments ?? []);
      return { kind: 'complete', assignments, secrets, invalid };
    }
    if (this.last === undefined || msg.applies_to !== this.last) return { kind: 'gap', expected: this.last, got: msg.applies_to };
    this.last = msg.results_in;
    const { assignments, secrets, invalid } = decodeAssignments(msg.assignments ?? []);
    return { kind: 'incremental', changed: assignments, removed: msg.removed ?? [], secrets, invalid };
  }
}
