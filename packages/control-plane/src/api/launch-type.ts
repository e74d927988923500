import { InvalidParameterException, isFargateCapacityProvider, type CapacityProviderStrategyItem, type LaunchType } from '@stevedore/core';
import type { ApiContext } from './context';
import type { Params } from './params';
import { resolveStrategy } from './actions/capacity-providers';

/**
 * `launchType` and `capacityProviderStrategy` of RunTask and CreateService,
 * as ECS takes them: one or the other (capacity-providers' resolveStrategy,
 * with the cluster's default strategy when neither is given). A strategy of
 * the FARGATE/FARGATE_SPOT providers every cluster has launches on FARGATE;
 * one of host-group providers on EC2 (their hosts); ECS refuses a mix.
 */
export function readLaunchType(ctx: ApiContext, p: Params, cluster: string, useDefault: boolean): { launchType: LaunchType; capacityProviderStrategy: CapacityProviderStrategyItem[]; given: boolean } {
  const launchType = p.string('launchType', { enum: ['EC2', 'FARGATE', 'EXTERNAL'] });
  const given = Array.isArray(p.body['capacityProviderStrategy']) && (p.body['capacityProviderStrategy'] as unknown[]).length > 0;
  const strategy = resolveStrategy(ctx, p, cluster, useDefault) ?? [];
  const fargate = strategy.filter((s) => isFargateCapacityProvider(s.capacityProvider)).length;
  if (fargate > 0 && fargate < strategy.length) {
    throw new InvalidParameterException(
      'A capacity provider strategy cannot contain a mix of capacity providers using host groups and Fargate providers. Specify one or the other and try again.',
      'capacityProviderStrategy',
    );
  }
  if (fargate > 0) return { launchType: 'FARGATE', capacityProviderStrategy: strategy, given };
  // EXTERNAL runs as EC2 does (every Stevedore instance is the user's own machine) and is kept as given, for ECS's filters.
  return { launchType: launchType === 'FARGATE' || launchType === 'EXTERNAL' ? launchType : 'EC2', capacityProviderStrategy: strategy, given };
}
