import {
  ClientException,
  combineConstraints,
  defaultDeploymentConfiguration,
  InvalidParameterException,
  NotFoundError,
  parseArn,
  readPlacementConstraints,
  readPlacementStrategies,
  StevedoreError,
  type Cluster,
  type DeploymentConfiguration,
  type PlacementConstraint,
  type PlacementStrategy,
  type SchedulingStrategy,
  type TaskDefinition,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { resolveTaskDefinition } from '../lookups';
import type { StoredService } from '../../store/services-repo';

/** Validation shared by CreateService and UpdateService, in ECS's words. */

export const MAX_DESIRED_COUNT = 100_000;

export function readDesiredCount(p: Params): number | undefined {
  const v = p.body['desiredCount'];
  if (typeof v === 'number' && Number.isInteger(v) && v < 0) {
    throw new InvalidParameterException('Invalid desiredCount: the desired count must be 0 or more.', 'desiredCount');
  }
  return p.integer('desiredCount', { min: 0, max: MAX_DESIRED_COUNT });
}

export function requireActiveTaskDefinition(ctx: ApiContext, ref: string): TaskDefinition {
  const stored = resolveTaskDefinition(ctx, ref);
  if (!stored) throw new ClientException('TaskDefinition not found.', 'taskDefinition');
  const td = stored.taskDefinition;
  if (td.status !== 'ACTIVE') throw new ClientException(`TaskDefinition is inactive: ${td.family}:${td.revision}`, 'taskDefinition');
  return td;
}

function percent(o: Params, name: string): number | undefined {
  return o.integer(name, { min: 0, max: 10_000 });
}

/** Merges a (partial) deploymentConfiguration over `base` and checks the result for the strategy. */
export function readDeploymentConfiguration(p: Params, strategy: SchedulingStrategy, base?: DeploymentConfiguration): DeploymentConfiguration {
  const def = base ?? defaultDeploymentConfiguration(strategy);
  const raw = p.object('deploymentConfiguration');
  if (!raw) return def;
  const o = new Params(raw);
  const cb = o.object('deploymentCircuitBreaker');
  const cbp = cb ? new Params(cb) : undefined;
  const out: DeploymentConfiguration = {
    maximumPercent: percent(o, 'maximumPercent') ?? def.maximumPercent,
    minimumHealthyPercent: percent(o, 'minimumHealthyPercent') ?? def.minimumHealthyPercent,
    deploymentCircuitBreaker: {
      enable: cbp?.boolean('enable') ?? def.deploymentCircuitBreaker.enable,
      rollback: cbp?.boolean('rollback') ?? def.deploymentCircuitBreaker.rollback,
    },
  };
  o.object('alarms');
  if (out.minimumHealthyPercent > 100) {
    throw new InvalidParameterException('deploymentConfiguration.minimumHealthyPercent must be between 0 and 100.', 'deploymentConfiguration.minimumHealthyPercent');
  }
  if (strategy === 'DAEMON' && out.maximumPercent !== 100) {
    throw new InvalidParameterException('The maximumPercent must be 100 for services with the DAEMON scheduling strategy.', 'deploymentConfiguration.maximumPercent');
  }
  // Refused rather than left to deadlock every deployment; min = max = 100 is accepted (ECS does), and
  // its deployments report "unable to stop or start tasks" and time out.
  if (strategy === 'REPLICA' && out.maximumPercent < out.minimumHealthyPercent) {
    throw new InvalidParameterException(
      `Invalid deploymentConfiguration: with minimumHealthyPercent ${out.minimumHealthyPercent} and maximumPercent ${out.maximumPercent} the service scheduler is unable to stop or start tasks during a deployment. Update the minimumHealthyPercent or maximumPercent value and try again.`,
      'deploymentConfiguration.maximumPercent',
    );
  }
  if (strategy === 'REPLICA' && out.maximumPercent < 100) {
    throw new InvalidParameterException('deploymentConfiguration.maximumPercent must be at least 100.', 'deploymentConfiguration.maximumPercent');
  }
  return out;
}

export function readPlacement(p: Params, strategy: SchedulingStrategy, td: TaskDefinition): { constraints?: PlacementConstraint[]; strategies?: PlacementStrategy[] } {
  const out: { constraints?: PlacementConstraint[]; strategies?: PlacementStrategy[] } = {};
  if (p.has('placementConstraints')) {
    out.constraints = readPlacementConstraints(p.body['placementConstraints']);
    combineConstraints(out.constraints, td.placementConstraints);
  }
  if (p.has('placementStrategy')) {
    out.strategies = readPlacementStrategies(p.body['placementStrategy']);
    if (strategy === 'DAEMON' && out.strategies.length > 0) {
      throw new InvalidParameterException('Placement strategies are not supported with the DAEMON scheduling strategy.', 'placementStrategy');
    }
  }
  return out;
}

/** Members ECS has but Stevedore does not implement yet: refusing beats ignoring them. */
export function refuseUnsupported(p: Params): void {
  for (const name of ['serviceRegistries', 'serviceConnectConfiguration', 'volumeConfigurations']) {
    if ((p.list(name) ?? []).length > 0) {
      throw new StevedoreError('UnsupportedFeatureException', `${name} is not supported yet by Stevedore.`, { field: name });
    }
  }
  if (p.has('serviceConnectConfiguration')) p.object('serviceConnectConfiguration');
  const controller = p.object('deploymentController');
  if (controller && controller['type'] !== undefined && controller['type'] !== 'ECS') {
    throw new StevedoreError('UnsupportedFeatureException', 'Only the ECS deployment controller is supported by Stevedore.', { field: 'deploymentController.type' });
  }
}

/** `service`: a name, or a long (`service/cluster/name`) or legacy (`service/name`) ARN. */
export function serviceNameOf(ref: string): string {
  const arn = parseArn(ref);
  if (!arn) return ref;
  if (arn.resourceType !== 'service') throw new InvalidParameterException(`service is not a service ARN: ${ref}`, 'service');
  const parts = arn.resource.split('/');
  return parts[parts.length - 1]!;
}

export function findService(ctx: ApiContext, cluster: Cluster, ref: string): StoredService | undefined {
  return ctx.store.services.get(cluster.name, serviceNameOf(ref));
}

export function requireService(ctx: ApiContext, cluster: Cluster, ref: string): StoredService {
  const s = findService(ctx, cluster, ref);
  if (!s) throw new NotFoundError('ServiceNotFoundException', 'Service not found.');
  return s;
}
