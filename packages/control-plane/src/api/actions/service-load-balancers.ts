import {
  elbResourceType,
  InvalidParameterException,
  MAX_SERVICE_LOAD_BALANCERS,
  StevedoreError,
  type ServiceLoadBalancer,
  type TaskDefinition,
} from '@stevedore/core';
import type { ApiContext } from '../context';
import { Params } from '../params';

/**
 * ECS `loadBalancers` of CreateService/UpdateService (ALB/NLB form): at most
 * 5 target groups, each existing, of target type instance for bridge and host
 * network modes, and naming a container and a container port the task
 * definition maps. Undefined when the member is absent.
 */
export function readServiceLoadBalancers(ctx: ApiContext, p: Params, td: TaskDefinition): ServiceLoadBalancer[] | undefined {
  const raw = p.list('loadBalancers');
  if (raw === undefined) return undefined;
  if (raw.length > MAX_SERVICE_LOAD_BALANCERS) {
    throw new InvalidParameterException(`loadBalancers can have at most ${MAX_SERVICE_LOAD_BALANCERS} target groups.`, 'loadBalancers');
  }
  const out = raw.map((x, i) => {
    const field = `loadBalancers[${i}]`;
    const lb = Params.of(x);
    if (lb.has('loadBalancerName')) throw new InvalidParameterException('Classic Load Balancers (loadBalancerName) are not supported by Stevedore; use targetGroupArn.', `${field}.loadBalancerName`);
    const targetGroupArn = lb.string('targetGroupArn', { max: 2048 });
    if (targetGroupArn === undefined) throw new InvalidParameterException('targetGroupArn is required for each load balancer.', `${field}.targetGroupArn`);
    const containerName = lb.string('containerName', { max: 255 });
    const containerPort = lb.integer('containerPort', { min: 1, max: 65535 });
    if (containerName === undefined || containerPort === undefined) {
      throw new InvalidParameterException('containerName and containerPort are required for each load balancer.', field);
    }
    return { targetGroupArn, containerName, containerPort, field };
  });
  const seen = new Set<string>();
  for (const lb of out) {
    if (seen.has(lb.targetGroupArn)) throw new InvalidParameterException(`Target group ${lb.targetGroupArn} is listed more than once.`, lb.field);
    seen.add(lb.targetGroupArn);
  }
  const checked = out.map(({ field, ...lb }) => ({ field, lb }));
  for (const { field, lb } of checked) checkAgainst(ctx, lb, td, field);
  return checked.map((c) => c.lb);
}

/** A service's load balancers must fit each revision it deploys. */
export function checkAgainst(ctx: ApiContext, lb: ServiceLoadBalancer, td: TaskDefinition, field = 'loadBalancers'): void {
  const tg = elbResourceType(lb.targetGroupArn) === 'targetgroup' ? ctx.store.loadBalancers.getTargetGroup(lb.targetGroupArn) : undefined;
  if (!tg) throw new StevedoreError('TargetGroupNotFoundException', `The target group ${lb.targetGroupArn} does not exist.`, { field: `${field}.targetGroupArn` });
  const mode = td.networkMode ?? 'bridge';
  if (mode === 'none') {
    throw new InvalidParameterException(`Load balancers need published ports; the task definition's network mode ${mode} has none Stevedore can register.`, field);
  }
  // awsvpc tasks are registered by address (the host's) and the port published for them, as ECS registers an ENI.
  if (mode === 'awsvpc' && tg.targetType !== 'ip') {
    throw new InvalidParameterException(`The provided target group ${tg.arn} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`, `${field}.targetGroupArn`);
  }
  if (tg.targetType !== 'instance' && mode === 'bridge') {
    throw new InvalidParameterException(`The target group ${tg.arn} has target type ${tg.targetType}, which is incompatible with the bridge network mode specified in the task definition.`, `${field}.targetGroupArn`);
  }
  const container = td.containerDefinitions.find((c) => c.name === lb.containerName);
  if (!container) throw new InvalidParameterException(`The container ${lb.containerName} does not exist in the task definition.`, `${field}.containerName`);
  const mapped = (container.portMappings ?? []).some((m) => m.containerPort === lb.containerPort && (m.protocol ?? 'tcp') === 'tcp');
  if (!mapped) throw new InvalidParameterException(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`, `${field}.containerPort`);
}
