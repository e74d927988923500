import { after, before } from 'node:test';
import * as path from 'node:path';
import { REPO_ROOT, startCluster, type TestCluster } from '../helpers/cluster';

/** ECS's JSON 1.1 target prefix. */
export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';

/** The ECS operations the control plane serves, read from its own operation table (its build). */
export function servedEcsOperations(): Set<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { ACTIONS } = require(path.join(REPO_ROOT, 'packages/control-plane/dist/api/router.js')) as { ACTIONS: Record<string, unknown> };
  return new Set(Object.keys(ACTIONS).filter((t) => t.startsWith(ECS_TARGET_PREFIX)).map((t) => t.slice(ECS_TARGET_PREFIX.length)));
}

/**
 * One real cluster (a control plane and one agent on real Docker) for the
 * tests of a compat file: started before the first test, stopped after the
 * last. Read `.c` inside tests.
 */
export function compatCluster(): { readonly c: TestCluster } {
  let cluster: TestCluster | undefined;
  const hooks: { fns: (() => unknown)[]; after(fn: () => unknown): void } = { fns: [], after: (fn) => hooks.fns.push(fn) };
  before(async () => {
    cluster = await startCluster({ agents: 1, test: hooks, readyTimeoutMs: 60_000 });
  });
  after(async () => {
    for (const fn of hooks.fns) await fn();
  });
  return {
    get c(): TestCluster {
      if (!cluster) throw new Error('the compat cluster is not started yet');
      return cluster;
    },
  };
}
