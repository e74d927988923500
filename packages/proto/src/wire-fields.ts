/**
 * The strict readers the wire conversions share (task-convert.ts,
 * container-convert.ts): ECS's value lists, and helpers that keep core
 * objects free of `undefined` members and refuse a bad field by name.
 */

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

export const NETWORK_MODES = ['bridge', 'host', 'awsvpc', 'none'] as const;
export const PROTOCOLS = ['tcp', 'udp'] as const;
export const APP_PROTOCOLS = ['http', 'http2', 'grpc'] as const;
export const CONDITIONS = ['START', 'COMPLETE', 'SUCCESS', 'HEALTHY'] as const;
export const ENABLED = ['ENABLED', 'DISABLED'] as const;
export const VERSION_CONSISTENCY = ['enabled', 'disabled'] as const;
export const VOLUME_SCOPES = ['task', 'shared'] as const;
export const RESOURCE_TYPES = ['GPU', 'InferenceAccelerator'] as const;
export const FIRELENS_TYPES = ['fluentd', 'fluentbit'] as const;

export function oneOf<T extends string>(allowed: readonly T[], v: string, field: string): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new WireFormatError(field, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
}

export function required(v: string, field: string): string {
  if (!v) throw new WireFormatError(field, 'is required');
  return v;
}

/** Optional fields are copied only when present, so core objects never carry `undefined` members. */
export function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | null | undefined): void {
  if (v !== undefined && v !== null) o[k] = v;
}

/** An empty repeated field or map is an absent one (task.proto's rules). */
export function list<T>(v: T[] | undefined): T[] | undefined {
  return v && v.length > 0 ? v : undefined;
}
export function map(v: Record<string, string> | undefined): Record<string, string> | undefined {
  return v && Object.keys(v).length > 0 ? { ...v } : undefined;
}
