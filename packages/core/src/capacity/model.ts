import type { HostLifecycleState } from './host-group';
import type { ManagedScaling } from './scaling-decision';
import type { CapacityProviderStrategyItem } from '../model/capacity-provider-strategy';

/** Starts agent processes on the control plane's own machine, one per address of a range (development, demos, tests). */
export interface LocalProvisioner {
  type: 'local';
  hostIps: string[];
  /** Each host gets its own dockerd (data root, bridge, --iptables=false) instead of sharing this machine's. */
  ownDockerd: boolean;
}

/** Operator commands: `create` prints the new host's id, `destroy HOST_ID` removes it. */
export interface ExecProvisioner {
  type: 'exec';
  createCommand: string;
  destroyCommand: string;
  timeoutSeconds: number;
  /** Attempts after the first failure, per launch or termination. */
  retries: number;
}

export type HostGroupProvisioner = LocalProvisioner | ExecProvisioner;

export interface HostGroupSpec {
  minSize: number;
  maxSize: number;
  /** Custom attributes every host's agent registers with. */
  attributes: { name: string; value: string }[];
  provisioner: HostGroupProvisioner;
  joinTimeoutSeconds: number;
}

export type HostGroupStatus = 'ACTIVE' | 'DELETING';

export interface HostGroup {
  name: string;
  cluster: string;
  uuid: string;
  status: HostGroupStatus;
  spec: HostGroupSpec;
  desiredCapacity: number;
  createdAt: number;
}

export interface HostGroupHost {
  id: string;
  groupName: string;
  cluster: string;
  lifecycleState: HostLifecycleState;
  statusReason?: string;
  /** What `create` printed (exec), or the local host's pid file name. */
  providerId?: string;
  hostIp?: string;
  joinTokenId?: string;
  containerInstanceId?: string;
  attempts: number;
  launchedAt: number;
  createdAt?: number;
  terminatedAt?: number;
}

export type ActivityStatusCode = 'InProgress' | 'Successful' | 'Failed';

/** Auto Scaling's Activity: what was done to which host, why, and how it went (with the command output). */
export interface HostGroupActivity {
  id: string;
  groupName: string;
  hostId?: string;
  description: string;
  cause: string;
  statusCode: ActivityStatusCode;
  statusMessage?: string;
  details?: string;
  startTime: number;
  endTime?: number;
}

export interface CapacityProvider {
  name: string;
  uuid: string;
  status: 'ACTIVE' | 'INACTIVE';
  kind: 'HOST_GROUP';
  autoScalingGroupArn: string;
  managedScaling: ManagedScaling;
  managedTerminationProtection: 'ENABLED' | 'DISABLED';
  tags: { key: string; value: string }[];
  createdAt: number;
  updateStatus?: 'DELETE_IN_PROGRESS' | 'DELETE_COMPLETE' | 'DELETE_FAILED' | 'UPDATE_IN_PROGRESS' | 'UPDATE_COMPLETE' | 'UPDATE_FAILED';
  updateStatusReason?: string;
}

/** The scaler's figures for a provider (one writer: the scaler). */
export interface CapacityProviderRuntime {
  reservation?: number;
  m?: number;
  n?: number;
  belowTargetSince?: number;
  lastDecision?: string;
  decidedAt?: number;
}

export interface ClusterCapacityProviders {
  providers: string[];
  defaultStrategy: CapacityProviderStrategyItem[];
}
