import type { ContainerDefinition } from '../model/task-definition';
import { ecsRejection, fieldOf } from './json-reader';

/**
 * Start-order rules between containers of one task. The agent starts a
 * container only after what it waits for: `dependsOn` conditions, and (like
 * the ECS agent) the containers it `links` to or takes `volumesFrom`, which
 * count as START dependencies. A cycle among them would leave the task
 * PENDING forever, so registration refuses it and names the cycle.
 */

interface OrderEdge {
  from: number;
  to: number;
  field: string;
  kind: string;
}

/** `"db:database"` -> `{ name: 'db', alias: 'database' }`. */
export function parseLink(link: string): { name: string; alias?: string } {
  const colon = link.indexOf(':');
  return colon < 0 ? { name: link } : { name: link.slice(0, colon), alias: link.slice(colon + 1) };
}

export function checkDependsOn(containers: readonly ContainerDefinition[]): void {
  const byName = new Map(containers.map((c, i) => [c.name, i] as const));
  containers.forEach((c, i) => {
    c.dependsOn?.forEach((dep, j) => {
      const field = fieldOf('containerDefinitions', i, 'dependsOn', j);
      const target = byName.get(dep.containerName);
      if (target === undefined) {
        throw ecsRejection(
          fieldOf('containerDefinitions', i, 'dependsOn', j, 'containerName'),
          `Invalid dependsOn for container '${c.name}'. Container '${dep.containerName}' is not defined in the task definition.`,
        );
      }
      if (target === i) {
        throw ecsRejection(fieldOf('containerDefinitions', i, 'dependsOn', j, 'containerName'), `Invalid dependsOn for container '${c.name}'. A container cannot depend on itself.`);
      }
      const dependency = containers[target]!;
      if ((dep.condition === 'SUCCESS' || dep.condition === 'COMPLETE') && dependency.essential !== false) {
        // An essential container exiting stops the task, so "wait until it exits" could never let the dependent start.
        throw ecsRejection(
          fieldOf('containerDefinitions', i, 'dependsOn', j, 'condition'),
          'A dependency container with SUCCESS or COMPLETE condition cannot be an essential container',
          `'${dependency.name}' is essential; set "essential": false on it or use condition START or HEALTHY`,
        );
      }
      if (dep.condition === 'HEALTHY' && dependency.healthCheck === undefined) {
        throw ecsRejection(
          `${field}.condition`,
          `Invalid dependsOn for container '${c.name}'. A dependency container with HEALTHY condition must have a healthCheck.`,
          `'${dependency.name}' declares no healthCheck, so it can never become HEALTHY`,
        );
      }
    });
  });
  checkStartOrderIsAcyclic(containers);
}

function orderEdges(containers: readonly ContainerDefinition[]): OrderEdge[] {
  const byName = new Map(containers.map((c, i) => [c.name, i] as const));
  const edges: OrderEdge[] = [];
  const add = (from: number, targetName: string, field: string, kind: string) => {
    const to = byName.get(targetName);
    if (to !== undefined) edges.push({ from, to, field, kind });
  };
  containers.forEach((c, i) => {
    c.dependsOn?.forEach((d, j) => add(i, d.containerName, fieldOf('containerDefinitions', i, 'dependsOn', j), `dependsOn ${d.condition}`));
    c.links?.forEach((l, j) => add(i, parseLink(l).name, fieldOf('containerDefinitions', i, 'links', j), 'links'));
    c.volumesFrom?.forEach((v, j) => add(i, v.sourceContainer ?? '', fieldOf('containerDefinitions', i, 'volumesFrom', j), 'volumesFrom'));
  });
  return edges;
}

/** Depth-first search; the first back edge found closes the cycle we report. */
function checkStartOrderIsAcyclic(containers: readonly ContainerDefinition[]): void {
  const edges = orderEdges(containers);
  const outgoing = containers.map((_, i) => edges.filter((e) => e.from === i));
  const state = containers.map(() => 'new' as 'new' | 'active' | 'done');
  const path: OrderEdge[] = [];

  const visit = (node: number): OrderEdge[] | undefined => {
    state[node] = 'active';
    for (const edge of outgoing[node]!) {
      if (state[edge.to] === 'active') {
        const start = path.findIndex((e) => e.from === edge.to);
        return [...(start < 0 ? [] : path.slice(start)), edge];
      }
      if (state[edge.to] === 'new') {
        path.push(edge);
        const cycle = visit(edge.to);
        if (cycle !== undefined) return cycle;
        path.pop();
      }
    }
    state[node] = 'done';
    return undefined;
  };

  for (let i = 0; i < containers.length; i++) {
    if (state[i] !== 'new') continue;
    const cycle = visit(i);
    if (cycle === undefined) continue;
    const names = [...cycle.map((e) => `'${containers[e.from]!.name}'`), `'${containers[cycle[0]!.from]!.name}'`];
    throw ecsRejection(
      cycle[0]!.field,
      `Container dependencies form a cycle: ${names.join(' -> ')}.`,
      `via ${cycle.map((e) => `${e.field} (${e.kind})`).join(', ')}; none of these containers could ever start`,
    );
  }
}
