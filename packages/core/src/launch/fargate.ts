import { ClientException, InvalidParameterException } from '../errors';
import type { AwsVpcConfiguration, LaunchType, TaskOverride } from '../model/task';
import type { PlacementConstraint } from '../model/service';
import { distributeTasks } from '../capacity/strategy';
import type { CapacityProviderStrategyItem } from '../model/capacity-provider-strategy';
import type { TaskDefinition } from '../model/task-definition';
import { fargateIncompatibilities } from '../validation/compatibilities';
import { checkEnum, checkList, checkString, ObjectReader } from '../validation/json-reader';
import { readPlacementConstraints } from '../placement/placement-input';

/**
 * FARGATE on your own hosts (docs/design/fargate.md): the launch-time
 * decisions, pure. A FARGATE task runs on a managed pool of the cluster's
 * instances the user never names or sees; ECS's Fargate rules (task size
 * table, awsvpc, no placement) are checked as ECS checks them.
 */

/** The capacity providers every cluster has, as in ECS. */
export const FARGATE_CAPACITY_PROVIDERS: readonly string[] = ['FARGATE', 'FARGATE_SPOT'];
/** What `LATEST` means (the Linux platform version ECS serves today). */
export const FARGATE_PLATFORM_VERSION = '1.4.0';
const PLATFORM_VERSIONS = ['LATEST', FARGATE_PLATFORM_VERSION];

/**
 * Cluster setting: a memberOf expression (cluster query language) choosing
 * the instances that may host FARGATE tasks. Unset: every ACTIVE instance.
 */
export const FARGATE_POOL_SETTING = 'stevedore:fargatePool';

/** ECS on a spot reclaim: SIGTERM, then two minutes before SIGKILL. */
export const SPOT_INTERRUPTION_STOP_TIMEOUT_SECONDS = 120;
export const SPOT_INTERRUPTION_REASON = 'Your Spot Task was interrupted.';

export function isFargateCapacityProvider(name: string): boolean {
  return FARGATE_CAPACITY_PROVIDERS.includes(name);
}

/** `platformVersion`: only FARGATE takes one (ECS refuses it for EC2); LATEST resolves to the current version. */
export function resolvePlatformVersion(raw: string | undefined, launchType: LaunchType): string | undefined {
  if (launchType !== 'FARGATE') {
    if (raw !== undefined) throw new InvalidParameterException('Platform version is only supported with the FARGATE launch type.', 'platformVersion');
    return undefined;
  }
  if (raw === undefined) return FARGATE_PLATFORM_VERSION;
  if (!PLATFORM_VERSIONS.includes(raw)) {
    throw new InvalidParameterException(`The specified platform version ${raw} does not exist; use LATEST or ${FARGATE_PLATFORM_VERSION}.`, 'platformVersion');
  }
  return FARGATE_PLATFORM_VERSION;
}

/**
 * The provider the next task goes to, given how many of the group's tasks
 * each provider holds: core capacity's distribution (bases first, then the
 * weights), one task at a time.
 */
export function chooseCapacityProvider(strategy: readonly CapacityProviderStrategyItem[], counts: ReadonlyMap<string, number>): string {
  const one = distributeTasks([...strategy], 1, counts);
  for (const [name, n] of one) if (n > 0) return name;
  return strategy[0]!.capacityProvider;
}

/**
 * `networkConfiguration`: required for awsvpc task definitions and refused
 * for the others, with ECS's messages; subnets and security groups are
 * recorded as given (Stevedore hosts have no VPC).
 */
export function readNetworkConfiguration(raw: unknown, networkMode: string): AwsVpcConfiguration | undefined {
  if (raw === undefined || raw === null) {
    if (networkMode === 'awsvpc') throw new InvalidParameterException("Network Configuration must be provided when networkMode 'awsvpc' is specified.", 'networkConfiguration');
    return undefined;
  }
  const r = ObjectReader.of(raw, 'networkConfiguration', 'NetworkConfiguration');
  if (networkMode !== 'awsvpc') {
    throw new InvalidParameterException(`Network Configuration is not valid for the given networkMode of this task definition ('${networkMode}'); it applies to awsvpc only.`, 'networkConfiguration');
  }
  const v = r.value('awsvpcConfiguration');
  if (v === undefined) throw new InvalidParameterException('networkConfiguration.awsvpcConfiguration is required.', 'networkConfiguration.awsvpcConfiguration');
  const a = ObjectReader.of(v, 'networkConfiguration.awsvpcConfiguration', 'AwsVpcConfiguration');
  const subnets = checkList(a.value('subnets') ?? [], a.at('subnets'), { maxItems: 16 }).map((s, i) => checkString(s, `${a.at('subnets')}[${i}]`, { maxLength: 255 }));
  if (subnets.length === 0) throw new InvalidParameterException('subnets can not be empty.', a.at('subnets'));
  const securityGroups = checkList(a.value('securityGroups') ?? [], a.at('securityGroups'), { maxItems: 5 }).map((s, i) => checkString(s, `${a.at('securityGroups')}[${i}]`, { maxLength: 255 }));
  const assign = a.value('assignPublicIp');
  const assignPublicIp = assign === undefined ? 'DISABLED' : checkEnum(assign, a.at('assignPublicIp'), ['ENABLED', 'DISABLED'] as const);
  return { subnets, securityGroups, assignPublicIp };
}

export interface FargateLaunch {
  td: TaskDefinition;
  overrides: TaskOverride;
  placementConstraints: unknown;
  placementStrategy: unknown;
}

/**
 * What ECS checks when a task is launched on FARGATE: a definition that is
 * Fargate compatible, a Fargate task size after the overrides, and no
 * placement (Fargate chooses the host).
 */
export function checkFargateLaunch(l: FargateLaunch): void {
  if (!(l.td.compatibilities ?? []).includes('FARGATE')) {
    const why = fargateIncompatibilities(l.td)[0];
    throw new InvalidParameterException(`Task definition does not support launch_type FARGATE.${why ? ` ${why.field}: ${why.message}` : ''}`, 'taskDefinition');
  }
  if (Array.isArray(l.placementConstraints) && l.placementConstraints.length > 0) {
    throw new InvalidParameterException('Placement constraints are not supported with FARGATE launch type. Use the cluster setting stevedore:fargatePool to choose the hosts.', 'placementConstraints');
  }
  if (Array.isArray(l.placementStrategy) && l.placementStrategy.length > 0) {
    throw new InvalidParameterException('Placement strategies are not supported with FARGATE launch type.', 'placementStrategy');
  }
  const sized = { ...l.td, ...(l.overrides.cpu !== undefined ? { cpu: l.overrides.cpu } : {}), ...(l.overrides.memory !== undefined ? { memory: l.overrides.memory } : {}) };
  const size = fargateIncompatibilities(sized).find((i) => i.field === 'cpu' || i.field === 'memory');
  if (size) throw new ClientException(`${size.message}${size.detail ? ` (${size.detail})` : ''}`, `overrides.${size.field}`);
}

/** The cluster's FARGATE pool as a placement constraint (none: every ACTIVE instance). */
export function fargatePoolConstraints(settings: readonly { name: string; value: string }[]): PlacementConstraint[] {
  const expression = settings.find((s) => s.name === FARGATE_POOL_SETTING)?.value;
  if (expression === undefined || expression === '' || expression === 'all') return [];
  return [{ type: 'memberOf', expression }];
}

/** Validates the pool setting's value at CreateCluster/UpdateClusterSettings. */
export function checkFargatePoolSetting(value: string, field: string): void {
  if (value === '' || value === 'all') return;
  readPlacementConstraints([{ type: 'memberOf', expression: value }], field);
}

/** A task's attachment id and fake-but-stable ENI id, both derived from ids it already has. */
export function networkInterfaceIds(taskId: string): { attachmentId: string; networkInterfaceId: string } {
  const hex = taskId.replace(/[^0-9a-f]/g, '').padEnd(32, '0');
  const attachmentId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return { attachmentId, networkInterfaceId: `eni-${hex.slice(0, 17)}` };
}
