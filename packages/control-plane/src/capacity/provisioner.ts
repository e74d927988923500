import { HOST_GROUP_ATTRIBUTE, type HostGroup, type HostGroupHost } from '@stevedore/core';

/** The group's attributes plus the one that ties the host to its group (placement of capacity-provider services reads it). */
export function hostAttributes(group: HostGroup): { name: string; value: string }[] {
  return [...group.spec.attributes.filter((a) => a.name !== HOST_GROUP_ATTRIBUTE), { name: HOST_GROUP_ATTRIBUTE, value: group.name }];
}

/** How a new host finds and joins the cluster: what the install script needs. */
export interface JoinInstructions {
  controlPlane: string;
  cluster: string;
  token: string;
  caCertHash: string;
}

export interface CreateResult {
  /** The provider's id of the host (what `create` printed). */
  providerId: string;
  output: string;
}

/** A provisioner command failed; `output` is kept in the activity. */
export class ProvisionError extends Error {
  override readonly name = 'ProvisionError';
  constructor(message: string, readonly output: string) {
    super(message);
  }
}

/**
 * Creates and destroys hosts of a group. `create` is called with the host's
 * stored id and must be idempotent on it: after a control-plane restart in
 * the middle of a create, it runs again for the same host (never a second host).
 */
export interface Provisioner {
  create(group: HostGroup, host: HostGroupHost, join: JoinInstructions, signal: AbortSignal): Promise<CreateResult>;
  destroy(group: HostGroup, host: HostGroupHost, signal: AbortSignal): Promise<{ output: string }>;
  /** Stops anything it watches (processes it started keep running: they are hosts). */
  close?(): void;
}

/** The last `max` characters: command output can be long, and its end says what failed. */
export function keepTail(s: string, max = 4096): string {
  return s.length <= max ? s : `…${s.slice(s.length - max)}`;
}
