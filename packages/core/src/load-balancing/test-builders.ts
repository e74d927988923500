import type { ContainerInstance } from '../model/container-instance';
import type { Listener, ListenerRule, LoadBalancer, RegisteredTarget, TargetGroup } from '../model/load-balancer';
import type { LbTask } from './reconcile-targets';
import { defaultHealthCheck, DEFAULT_TARGET_GROUP_ATTRIBUTES } from './health-check';

/** Builders with valid defaults for load-balancing tests. */
const P = 'arn:aws:elasticloadbalancing:us-east-1:000000000000';

export function lbInstance(id: string, over: Partial<ContainerInstance> = {}): ContainerInstance {
  return {
    id,
    clusterName: 'c',
    ec2InstanceId: `host-${id}`,
    hostIp: `127.0.0.${10 + id.length}`,
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: { cpu: 2048, memory: 2048, ports: [22], portsUdp: [] },
    attributes: [{ name: 'role', value: 'lb' }],
    versionInfo: { agentVersion: '1', dockerVersion: '20.10' },
    registeredAt: 0,
    version: 1,
    ...over,
  };
}

export function loadBalancer(name: string, over: Partial<LoadBalancer> = {}): LoadBalancer {
  return { arn: `${P}:loadbalancer/app/${name}/0000000000000001`, name, type: 'application', scheme: 'internal', cluster: 'c', placement: { expression: 'attribute:role == lb' }, createdAt: 1, ...over };
}

export function targetGroup(name: string, over: Partial<TargetGroup> = {}): TargetGroup {
  const protocol = over.protocol ?? 'HTTP';
  return {
    arn: `${P}:targetgroup/${name}/00000000000000aa`,
    name,
    protocol,
    port: 80,
    targetType: 'instance',
    healthCheck: defaultHealthCheck(protocol),
    attributes: { ...DEFAULT_TARGET_GROUP_ATTRIBUTES },
    createdAt: 1,
    ...over,
  };
}

export function listener(lb: LoadBalancer, port: number, tg: TargetGroup, over: Partial<Listener> = {}): Listener {
  return { arn: `${lb.arn.replace(':loadbalancer/', ':listener/')}/${port}`, loadBalancerArn: lb.arn, protocol: lb.type === 'application' ? 'HTTP' : 'TCP', port, defaultActions: [{ type: 'forward', targetGroupArn: tg.arn }], createdAt: port, ...over };
}

export function rule(l: Listener, priority: number, tg: TargetGroup, conditions: ListenerRule['conditions']): ListenerRule {
  return { arn: `${l.arn.replace(':listener/', ':listener-rule/')}/${priority}`, listenerArn: l.arn, priority, conditions, actions: [{ type: 'forward', targetGroupArn: tg.arn }], createdAt: priority };
}

export function target(tg: TargetGroup, id: string, port: number, over: Partial<RegisteredTarget> = {}): RegisteredTarget {
  return { targetGroupArn: tg.arn, id, port, registrationId: `r-${id}-${port}`, state: 'registered', registeredAt: 0, ...over };
}

export function lbTask(id: string, over: Partial<LbTask> = {}, hostPort = 32768): LbTask {
  return {
    id,
    cluster: 'c',
    group: 'service:web',
    lastStatus: 'RUNNING',
    desiredStatus: 'RUNNING',
    containerInstanceId: 'i1',
    containers: [{ name: 'web', networkBindings: [{ bindIP: '127.0.0.2', containerPort: 8080, hostPort, protocol: 'tcp' }] }],
    ...over,
  };
}
