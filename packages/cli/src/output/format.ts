/** Pure formatting of ECS values for people. The API speaks epoch seconds. */
import type { EcsContainer, EcsTask, NetworkBinding, Resource } from '../ecs-types';

/** Last path segment of an ARN (task id, instance id), or the value itself. */
export function shortId(arnOrId: string | undefined): string {
  if (!arnOrId) return '-';
  const afterType = arnOrId.startsWith('arn:') ? arnOrId.split(':').slice(5).join(':') : arnOrId;
  const parts = afterType.split('/');
  return parts[parts.length - 1] ?? arnOrId;
}

/** `family:revision` from a task definition ARN. */
export function taskDefinitionName(arn: string | undefined): string {
  if (!arn) return '-';
  const m = /task-definition\/(.+)$/.exec(arn);
  return m ? m[1]! : arn;
}

/** Cluster name from a cluster ARN. */
export function clusterName(arn: string | undefined): string {
  if (!arn) return '-';
  const m = /:cluster\/(.+)$/.exec(arn);
  return m ? m[1]! : arn;
}

/** `2026-11-25 12:00:03Z`: UTC, whole seconds, sortable. */
export function formatTime(epochSeconds: number | undefined | null): string {
  if (epochSeconds === undefined || epochSeconds === null || !Number.isFinite(epochSeconds)) return '-';
  return new Date(Math.round(epochSeconds * 1000)).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Compact age such as `42s`, `5m`, `3h`, `2d`. */
export function formatAge(epochSeconds: number | undefined | null, nowMs: number): string {
  if (epochSeconds === undefined || epochSeconds === null || !Number.isFinite(epochSeconds)) return '-';
  const s = Math.max(0, Math.floor(nowMs / 1000 - epochSeconds));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function formatTimeWithAge(epochSeconds: number | undefined | null, nowMs: number): string {
  if (epochSeconds === undefined || epochSeconds === null) return '-';
  return `${formatTime(epochSeconds)} (${formatAge(epochSeconds, nowMs)} ago)`;
}

/** A host binding as a URL people can open: `http://127.0.0.1:32768`. */
export function bindingUrl(b: NetworkBinding): string {
  const host = b.bindIP && b.bindIP.includes(':') ? `[${b.bindIP}]` : (b.bindIP ?? '0.0.0.0');
  const scheme = (b.protocol ?? 'tcp') === 'udp' ? 'udp' : 'http';
  return `${scheme}://${host}:${b.hostPort ?? '?'}`;
}

/** `http://127.0.0.1:32768 (web:8080)` for each binding of each container. */
export function formatTaskBindings(task: EcsTask): string[] {
  const out: string[] = [];
  for (const c of task.containers ?? []) {
    for (const b of c.networkBindings ?? []) out.push(`${bindingUrl(b)} (${c.name}:${b.containerPort ?? '?'})`);
  }
  return out;
}

/** `web:RUNNING`, `job:STOPPED(0)`, with the health when it is known. */
export function formatContainerState(c: EcsContainer): string {
  const exit = c.exitCode !== undefined && c.exitCode !== null ? `(${c.exitCode})` : '';
  const health = c.healthStatus && c.healthStatus !== 'UNKNOWN' ? ` ${c.healthStatus.toLowerCase()}` : '';
  return `${c.name}:${c.lastStatus ?? '?'}${exit}${health}`;
}

export function resourceValue(resources: Resource[] | undefined, name: string): number | undefined {
  const r = resources?.find((x) => x.name === name);
  if (!r) return undefined;
  return r.integerValue ?? r.longValue ?? r.doubleValue;
}

export function resourceSet(resources: Resource[] | undefined, name: string): string[] {
  return resources?.find((x) => x.name === name)?.stringSetValue ?? [];
}

export interface ResourceUsage {
  registered: number | undefined;
  free: number | undefined;
  used: number | undefined;
}

/** used = registered - remaining; ECS reports only the two ends. */
export function resourceUsage(registered: Resource[] | undefined, remaining: Resource[] | undefined, name: string): ResourceUsage {
  const reg = resourceValue(registered, name);
  const free = resourceValue(remaining, name);
  return { registered: reg, free, used: reg !== undefined && free !== undefined ? reg - free : undefined };
}

/** `256/2048` (used/registered). */
export function formatUsage(u: ResourceUsage): string {
  return `${u.used ?? '?'}/${u.registered ?? '?'}`;
}

export function dash(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  return String(value);
}
