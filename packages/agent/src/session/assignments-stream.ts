import type { TaskAssignment, TaskSecrets } from '@stevedore/core';
import { fromWireAssignment, secretsOfWire, type SessionMessage, type WireAssignment } from '@stevedore/proto';

/**
 * The sequence rule of the Session stream (proto contract 1-3), pure: a
 * COMPLETE resets the sequence; an INCREMENTAL must apply to the last
 * results_in, or the agent has missed a message and must resync.
 */
export type Accepted =
  | { kind: 'complete'; assignments: TaskAssignment[]; secrets: Map<string, TaskSecrets>; invalid: string[] }
  | { kind: 'incremental'; changed: TaskAssignment[]; removed: string[]; secrets: Map<string, TaskSecrets>; invalid: string[] }
  | { kind: 'gap'; expected: number | undefined; got: number };

/** Secrets are kept apart from the assignments (which get journaled), keyed by task ARN. */
export function decodeAssignments(list: WireAssignment[]): { assignments: TaskAssignment[]; secrets: Map<string, TaskSecrets>; invalid: string[] } {
  const assignments: TaskAssignment[] = [];
  const secrets = new Map<string, TaskSecrets>();
  const invalid: string[] = [];
  for (const w of list) {
    try {
      const a = fromWireAssignment(w);
      if (!a || typeof a !== 'object' || a.taskArn !== w.task_arn || !Array.isArray(a.containers)) throw new Error('spec does not match its envelope');
      // The envelope's version is the one the sequence is about.
      if (w.version) a.version = w.version;
      a.volumes ??= [];
      assignments.push(a);
      const s = secretsOfWire(w);
      if (s) secrets.set(a.taskArn, s);
    } catch {
      invalid.push(w.task_arn);
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
