import { arns, clusterNameOf, type ArnContext } from '@stevedore/core';
import { ANY_RESOURCE } from './operation-resources';
import { roleResource } from '../launch-authorization';

/**
 * Permission-only actions: no API operation has their name, but some
 * requests need them on top of their own action, as AWS checks iam:PassRole
 * inside RunTask. Policies grant them like any other action; the built-in
 * admin role (Action "*") has them, the deployer template and read-only do
 * not, and `ecs:*` does not match them.
 */
export const ALLOW_HOST_ACCESS = 'stevedore:AllowHostAccess';

export interface Permission {
  action: string;
  resource: string;
}

type Body = Record<string, unknown>;

const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

function clusterArn(body: Body, member: string, arn: ArnContext): string {
  const v = Object.hasOwn(body, member) ? body[member] : undefined;
  if (v === undefined || v === null) return arns.cluster(arn, 'default');
  const name = typeof v === 'string' ? clusterNameOf(v) : '';
  return CLUSTER_NAME.test(name) ? arns.cluster(arn, name) : ANY_RESOURCE;
}

/**
 * True unless `settings` is absent or holds only containerInsights entries.
 * Fail-closed: a malformed list (which the action refuses anyway) or any
 * other name counts as touching the host-access switches, disabling included.
 */
function touchesHostAccess(body: Body): boolean {
  if (!Object.hasOwn(body, 'settings')) return false;
  const settings = body['settings'];
  if (settings === undefined || settings === null) return false;
  if (!Array.isArray(settings)) return true;
  return settings.some((s) => typeof s !== 'object' || s === null || !Object.hasOwn(s, 'name') || (s as Body)['name'] !== 'containerInsights');
}

function schedulePassRole(body: Body, arn: ArnContext): Permission[] {
  const target = Object.hasOwn(body, 'Target') ? body['Target'] : undefined;
  const role = target !== null && typeof target === 'object' && Object.hasOwn(target, 'RoleArn') ? (target as Body)['RoleArn'] : undefined;
  return [{ action: 'iam:PassRole', resource: typeof role === 'string' ? roleResource(role, arn) : ANY_RESOURCE }];
}

const IMPLIED = new Map<string, (body: Body, arn: ArnContext) => Permission[]>([
  ['ecs:CreateCluster', (b, a) => (touchesHostAccess(b) ? [{ action: ALLOW_HOST_ACCESS, resource: clusterArn(b, 'clusterName', a) }] : [])],
  ['ecs:UpdateClusterSettings', (b, a) => (touchesHostAccess(b) ? [{ action: ALLOW_HOST_ACCESS, resource: clusterArn(b, 'cluster', a) }] : [])],
  // A provisioner runs commands (or agent processes) on the control plane's own machine.
  ['stevedore:CreateHostGroup', (b, a) => [{ action: ALLOW_HOST_ACCESS, resource: clusterArn(b, 'cluster', a) }]],
  // A schedule runs as its target's role (EventBridge Scheduler): naming it passes it, as AWS checks.
  ['scheduler:CreateSchedule', (b, a) => schedulePassRole(b, a)],
  ['scheduler:UpdateSchedule', (b, a) => schedulePassRole(b, a)],
  ['stevedore:UpdateHostGroup', (b) => (Object.hasOwn(b, 'provisioner') ? [{ action: ALLOW_HOST_ACCESS, resource: ANY_RESOURCE }] : [])],
]);

/** What a request needs beyond its own action on its own resources. */
export function impliedPermissions(action: string, body: unknown, arn: ArnContext): Permission[] {
  const fn = IMPLIED.get(action);
  if (!fn || body === null || typeof body !== 'object' || Array.isArray(body)) return [];
  return fn(body as Body, arn);
}
