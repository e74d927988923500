import { isIP } from 'node:net';
import {
  ATTRIBUTE_NAME_RULE,
  ATTRIBUTE_VALUE_RULE,
  isAttributeName,
  isAttributeValue,
  isBuiltInAttribute,
  MAX_CUSTOM_ATTRIBUTES,
  readTags,
  type Tag,
  type Attribute,
  type InstanceResources,
} from '@stevedore/core';
import type { RegisterRequest } from '@stevedore/proto';

/**
 * What an agent may report about itself. A compromised or broken agent must
 * not store anything the rest of the cluster would trust blindly: `host_ip`
 * ends up in HAProxy's configuration on load balancer hosts and in every
 * published port's address, resources feed placement arithmetic, names and
 * versions are shown by the API. Each bound is far above any real host.
 */
export const REGISTRATION_LIMITS = {
  /** 4096 cores (1024 CPU units each). */
  maxCpu: 4096 * 1024,
  /** 64 TiB, in MiB. */
  maxMemoryMiB: 64 * 1024 * 1024,
  /** ECS allows 100 reserved ports per protocol. */
  maxReservedPorts: 100,
  /** Built-in and capability attributes (about 40 today) plus ECS's 10 custom ones. */
  maxAttributes: 100,
  /** Host names (DNS: 253), versions and the like. */
  maxText: 255,
} as const;

export interface RegistrationProblem {
  /** The request field, as in the proto (`resources.cpu`, `attributes[3].name`). */
  field: string;
  message: string;
}

export interface ValidRegistration {
  hostIp: string;
  ec2InstanceId: string;
  resources: Omit<InstanceResources, 'ports'> & { ports: number[] };
  attributes: Attribute[];
  agentVersion: string;
  dockerVersion: string;
  /** '' when the agent did not send one. */
  agentHash: string;
  /** ECS's tag rules (50 at most, `aws:` reserved), applied when the instance is first registered. */
  tags: Tag[];
}

/** Printable ASCII without spaces: host names, versions, ids. */
const TOKEN = /^[\x21-\x7e]*$/;

class Refusal extends Error {
  constructor(readonly problem: RegistrationProblem) {
    super(problem.message);
  }
}

function refuse(field: string, message: string): never {
  throw new Refusal({ field, message: `${field}: ${message}` });
}

function tags(list: NonNullable<RegisterRequest['tags']>): Tag[] {
  try {
    return readTags(list.map((t) => (t.value === undefined || t.value === null ? { key: t.key } : { key: t.key, value: t.value })), 'tags');
  } catch (e) {
    // readTags names the field (tags[2].key) in its message.
    refuse('tags', e instanceof Error ? e.message : String(e));
  }
}

function text(field: string, v: string, opts: { required?: boolean } = {}): string {
  if (opts.required && v === '') refuse(field, 'is required');
  if (v.length > REGISTRATION_LIMITS.maxText) refuse(field, `must be at most ${REGISTRATION_LIMITS.maxText} characters`);
  if (!TOKEN.test(v)) refuse(field, 'must be printable ASCII without spaces');
  return v;
}

function integer(field: string, v: number, min: number, max: number, unit: string): number {
  if (!Number.isInteger(v) || v < min || v > max) refuse(field, `must be an integer from ${min} to ${max} (${unit}), got ${JSON.stringify(v)}`);
  return v;
}

function ports(field: string, list: number[]): number[] {
  if (list.length > REGISTRATION_LIMITS.maxReservedPorts) refuse(field, `at most ${REGISTRATION_LIMITS.maxReservedPorts} reserved ports`);
  list.forEach((p, i) => integer(`${field}[${i}]`, p, 1, 65535, 'port'));
  // Duplicates are harmless (`--reserved-ports 22,22`): stored once.
  return [...new Set(list)];
}

function attributes(list: RegisterRequest['attributes']): Attribute[] {
  if (list.length > REGISTRATION_LIMITS.maxAttributes) refuse('attributes', `at most ${REGISTRATION_LIMITS.maxAttributes} attributes`);
  const seen = new Set<string>();
  let custom = 0;
  return list.map((a, i) => {
    const at = `attributes[${i}]`;
    if (!isAttributeName(a.name)) refuse(`${at}.name`, `must be ${ATTRIBUTE_NAME_RULE}`);
    if (seen.has(a.name)) refuse(`${at}.name`, `${a.name} is reported twice`);
    seen.add(a.name);
    if (!isBuiltInAttribute(a.name) && ++custom > MAX_CUSTOM_ATTRIBUTES) refuse('attributes', `at most ${MAX_CUSTOM_ATTRIBUTES} custom attributes (as ECS)`);
    // Capability attributes have a name only: proto3 sends that as ''.
    if (a.value !== '' && !isAttributeValue(a.value)) refuse(`${at}.value`, `must be ${ATTRIBUTE_VALUE_RULE}`);
    return a.value === '' ? { name: a.name } : { name: a.name, value: a.value };
  });
}

/** The registration's fields, checked and normalised, or the first problem (the caller refuses with INVALID_ARGUMENT naming it). */
export function validateRegistration(r: RegisterRequest): { ok: true; value: ValidRegistration } | { ok: false; problem: RegistrationProblem } {
  try {
    const hostIp = text('host_ip', r.host_ip, { required: true });
    // An address, nothing else: it is written into HAProxy's configuration and Docker's port bindings.
    if (isIP(hostIp) === 0) refuse('host_ip', `${JSON.stringify(hostIp.slice(0, 64))} is not an IPv4 or IPv6 address`);
    if (hostIp === '0.0.0.0' || hostIp === '::' || /^0*:(0*:)*0*$/.test(hostIp)) refuse('host_ip', 'must be a specific address, not a wildcard');
    const res = r.resources ?? { cpu: 0, memory: 0, ports: [], ports_udp: [] };
    return {
      ok: true,
      value: {
        hostIp,
        ec2InstanceId: text('ec2_instance_id', r.ec2_instance_id),
        resources: {
          cpu: integer('resources.cpu', res.cpu, 1, REGISTRATION_LIMITS.maxCpu, 'CPU units, 1024 per core'),
          memory: integer('resources.memory', res.memory, 0, REGISTRATION_LIMITS.maxMemoryMiB, 'MiB'),
          ports: ports('resources.ports', res.ports ?? []),
          portsUdp: ports('resources.ports_udp', res.ports_udp ?? []),
        },
        attributes: attributes(r.attributes ?? []),
        agentVersion: text('agent_version', r.agent_version),
        dockerVersion: text('docker_version', r.docker_version),
        // Older agents send no hash (proto3: ''): versionInfo then has no agentHash, as ECS leaves it out when unknown.
        agentHash: text('agent_hash', r.agent_hash ?? ''),
        tags: tags(r.tags ?? []),
      },
    };
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, problem: e.problem };
    throw e;
  }
}
