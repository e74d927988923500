/** Who set an instance attribute: its agent at registration, or an operator through PutAttributes (which wins). */
export type AttributeSource = 'agent' | 'operator';

export interface Attribute {
  name: string;
  value?: string;
  targetType?: 'container-instance';
  targetId?: string;
  /** Stored, never shown: the API's shapes pick name and value only. */
  source?: AttributeSource;
}

export interface InstanceResources {
  cpu: number;
  memory: number;
  /** Reserved TCP ports (ECS PORTS resource). */
  ports: number[];
  portsUdp: number[];
}

export type ContainerInstanceStatus = 'ACTIVE' | 'DRAINING' | 'INACTIVE' | 'REGISTERING' | 'DEREGISTERING';

export interface ContainerInstance {
  id: string;
  clusterName: string;
  /** The host's own name for itself (ECS shows an EC2 instance id here). */
  ec2InstanceId: string;
  hostIp: string;
  status: ContainerInstanceStatus;
  statusReason?: string;
  agentConnected: boolean;
  registeredResources: InstanceResources;
  attributes: Attribute[];
  versionInfo: { agentVersion: string; agentHash?: string; dockerVersion: string };
  registeredAt: number;
  lastHeartbeatAt?: number;
  version: number;
}

export const DEFAULT_RESERVED_PORTS = [22, 2375, 2376, 51678, 51679];

export function resource(name: string, type: 'INTEGER' | 'STRINGSET', v: number | string[]) {
  return type === 'INTEGER'
    ? { name, type, doubleValue: 0, longValue: 0, integerValue: v as number }
    : { name, type, doubleValue: 0, longValue: 0, integerValue: 0, stringSetValue: v as string[] };
}

/** ECS `Resource[]` form of a resource set. */
export function toEcsResources(r: InstanceResources) {
  return [
    resource('CPU', 'INTEGER', r.cpu),
    resource('MEMORY', 'INTEGER', r.memory),
    resource('PORTS', 'STRINGSET', r.ports.map(String)),
    resource('PORTS_UDP', 'STRINGSET', r.portsUdp.map(String)),
  ];
}
