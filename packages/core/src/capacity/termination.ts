/** A host the group may remove, as the termination choice sees it. */
export interface TerminationCandidate {
  id: string;
  /** Not joined yet (launching, or waiting for its agent): cheapest to remove. */
  joined: boolean;
  /** Tasks not STOPPED, other than daemon services'. */
  nonDaemonTasks: number;
  /** Already draining toward removal. */
  draining: boolean;
  launchedAt: number;
}

export interface TerminationChoice {
  /** Hosts to drain (their instances go DRAINING; destroyed once empty). */
  drain: string[];
  /** Hosts that could not be chosen: protected because they run non-daemon tasks. */
  protectedCount: number;
}

/**
 * Which hosts go when a group shrinks by `count` (Auto Scaling's order,
 * with ECS managed termination protection): hosts not joined yet, then
 * hosts already draining, then the emptiest, oldest first among equals.
 * With protection on, a host running non-daemon tasks is never chosen: the
 * group stays above its desired size until the host empties.
 */
export function chooseHostsToRemove(hosts: readonly TerminationCandidate[], count: number, protection: boolean): TerminationChoice {
  if (count <= 0) return { drain: [], protectedCount: 0 };
  const order = [...hosts].sort(
    (a, b) => Number(a.joined) - Number(b.joined) || Number(b.draining) - Number(a.draining) || a.nonDaemonTasks - b.nonDaemonTasks || a.launchedAt - b.launchedAt || (a.id < b.id ? -1 : 1),
  );
  const drain: string[] = [];
  let protectedCount = 0;
  for (const h of order) {
    if (drain.length >= count) break;
    if (protection && h.joined && !h.draining && h.nonDaemonTasks > 0) {
      protectedCount++;
      continue;
    }
    drain.push(h.id);
  }
  return { drain, protectedCount };
}

/** A draining host may be destroyed once it runs nothing but daemon tasks, or was never joined. */
export function readyToDestroy(h: Pick<TerminationCandidate, 'joined' | 'nonDaemonTasks'> & { daemonTasks: number }): boolean {
  return !h.joined || (h.nonDaemonTasks === 0 && h.daemonTasks === 0);
}
