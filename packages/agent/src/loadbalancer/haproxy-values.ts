import { isIP } from 'node:net';
import { isHealthCheckPath } from '@stevedore/core/host';

/**
 * Every value the renderer writes into haproxy.cfg, checked for its form.
 * The host set comes from the control plane, and the control plane
 * validates what it stores, but a configuration line is code: a newline, a
 * quote or a `#` in a name would let whoever wrote that value add
 * directives (a `bind`, a `server`, a `lua-load`) to a process that starts
 * as root. So the renderer trusts no caller and refuses, with this error,
 * anything that is not exactly of the expected shape.
 */
export class HaproxyConfigError extends Error {
  override readonly name = 'HaproxyConfigError';
  constructor(
    /** Where in the host set, e.g. `loadBalancers[0].targetGroups[1].healthCheck.path`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function refuse(field: string, message: string): never {
  throw new HaproxyConfigError(field, message);
}

/** A value in an error message: bounded, control characters visible. */
function shown(v: unknown): string {
  return JSON.stringify(String(v).slice(0, 64));
}

/** An IPv4 or IPv6 address: no host name, no port, no CIDR. */
export function address(field: string, v: unknown): string {
  if (typeof v !== 'string' || isIP(v) === 0) refuse(field, `${shown(v)} is not an IPv4 or IPv6 address`);
  return v;
}

/** An address rendered with its port as HAProxy reads it. */
export function addressWithPort(field: string, v: unknown, port: number): string {
  const a = address(field, v);
  return isIP(a) === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

export function port(field: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) refuse(field, `${shown(v)} is not a port (1-65535)`);
  return v;
}

export function integer(field: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) refuse(field, `${shown(v)} is not an integer from ${min} to ${max}`);
  return v;
}

/** ELB load balancer and target group names: 1-32 letters, digits and hyphens. */
export function elbName(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9-]{1,32}$/.test(v)) refuse(field, `${shown(v)} is not a load balancer or target group name`);
  return v;
}

/** Ids that become parts of HAProxy object names: ARN ids, registration ids, versions. */
export function token(field: string, v: unknown, max = 128): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max || !/^[A-Za-z0-9_.:/-]+$/.test(v)) refuse(field, `${shown(v)} is not an identifier`);
  return v;
}

export function oneOf<T extends string>(field: string, v: unknown, allowed: readonly T[]): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) refuse(field, `${shown(v)} is not one of ${allowed.join(', ')}`);
  return v as T;
}

/** A file the master opens (sockets, state file): absolute, and nothing HAProxy's parser treats specially. */
export function filePath(field: string, v: unknown): string {
  if (typeof v !== 'string' || !/^\/[A-Za-z0-9_.@+/-]{1,4095}$/.test(v) || v.split('/').includes('..')) refuse(field, `${shown(v)} is not an absolute path of plain characters`);
  return v;
}

/** ELB health check path: `/` then up to 1023 visible characters, none that HAProxy would read as a quote, escape, comment or separator. */
export function healthCheckPath(field: string, v: unknown): string {
  if (typeof v !== 'string' || !isHealthCheckPath(v)) refuse(field, `${shown(v)} is not a health check path (/ then visible characters, no quotes, backslashes or #)`);
  return v;
}

/**
 * A rule condition value (ALB: up to 128 characters, ASCII). It becomes a
 * regex inside single quotes, where HAProxy does no escaping at all, so a
 * quote in the value is written as the regex escape \x27.
 */
export function conditionValue(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 128 || !/^[\x20-\x7e]+$/.test(v)) refuse(field, `${shown(v)} is not a rule condition value (1-128 printable ASCII characters)`);
  return v;
}

export function quotedRegex(regex: string): string {
  return `'${regex.replace(/\\'/g, '\\x27').replace(/'/g, '\\x27')}'`;
}

/**
 * A certificate bundle for HAProxy (certificate, chain, private key in PEM):
 * written to its own file, never into the configuration, but still only of
 * the expected shape.
 */
export function pemBundle(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length > 1_000_000 || !/^[\x20-\x7e\r\n]+$/.test(v) || !v.includes('-----BEGIN CERTIFICATE-----') || !/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(v)) {
    refuse(field, 'is not a PEM certificate with its private key');
  }
  return v;
}
