/**
 * Every page of the console has a URL under /console/ (history routing; the
 * control plane answers any page's path with the app), so links can be
 * shared and the back button works. parseRoute and hrefOf are inverses.
 */
export type Route =
  | { page: 'signin' }
  | { page: 'clusters' }
  | { page: 'cluster'; cluster: string }
  | { page: 'service'; cluster: string; service: string }
  | { page: 'task'; cluster: string; task: string }
  | { page: 'instance'; cluster: string; instance: string }
  | { page: 'task-definitions' }
  | { page: 'task-definition'; family: string; revision?: number }
  | { page: 'load-balancers' }
  | { page: 'load-balancer'; name: string }
  | { page: 'secrets' }
  | { page: 'schedules' }
  | { page: 'not-found'; path: string };

export const BASE = '/console';

const enc = encodeURIComponent;

export function hrefOf(r: Route): string {
  switch (r.page) {
    case 'signin':
      return `${BASE}/signin`;
    case 'clusters':
      return `${BASE}/`;
    case 'cluster':
      return `${BASE}/clusters/${enc(r.cluster)}`;
    case 'service':
      return `${BASE}/clusters/${enc(r.cluster)}/services/${enc(r.service)}`;
    case 'task':
      return `${BASE}/clusters/${enc(r.cluster)}/tasks/${enc(r.task)}`;
    case 'instance':
      return `${BASE}/clusters/${enc(r.cluster)}/instances/${enc(r.instance)}`;
    case 'task-definitions':
      return `${BASE}/task-definitions`;
    case 'task-definition':
      return `${BASE}/task-definitions/${enc(r.family)}${r.revision !== undefined ? `/${r.revision}` : ''}`;
    case 'load-balancers':
      return `${BASE}/load-balancers`;
    case 'load-balancer':
      return `${BASE}/load-balancers/${enc(r.name)}`;
    case 'secrets':
      return `${BASE}/secrets`;
    case 'schedules':
      return `${BASE}/schedules`;
    case 'not-found':
      return r.path;
  }
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

export function parseRoute(pathname: string): Route {
  const notFound: Route = { page: 'not-found', path: pathname };
  if (pathname !== BASE && !pathname.startsWith(`${BASE}/`)) return notFound;
  const raw = pathname.slice(BASE.length).split('/').filter((s) => s !== '');
  const parts = raw.map(decode);
  if (parts.some((p) => p === undefined || p === '')) return notFound;
  const p = parts as string[];
  const [a, b, c, d] = p;
  if (p.length === 0) return { page: 'clusters' };
  if (a === 'signin' && p.length === 1) return { page: 'signin' };
  if (a === 'clusters') {
    if (p.length === 1) return { page: 'clusters' };
    if (p.length === 2) return { page: 'cluster', cluster: b! };
    if (p.length === 4 && c === 'services') return { page: 'service', cluster: b!, service: d! };
    if (p.length === 4 && c === 'tasks') return { page: 'task', cluster: b!, task: d! };
    if (p.length === 4 && c === 'instances') return { page: 'instance', cluster: b!, instance: d! };
    return notFound;
  }
  if (a === 'task-definitions') {
    if (p.length === 1) return { page: 'task-definitions' };
    if (p.length === 2) return { page: 'task-definition', family: b! };
    if (p.length === 3 && /^[1-9]\d{0,8}$/.test(c!)) return { page: 'task-definition', family: b!, revision: Number(c) };
    return notFound;
  }
  if (a === 'load-balancers') {
    if (p.length === 1) return { page: 'load-balancers' };
    if (p.length === 2) return { page: 'load-balancer', name: b! };
    return notFound;
  }
  if (a === 'secrets' && p.length === 1) return { page: 'secrets' };
  if (a === 'schedules' && p.length === 1) return { page: 'schedules' };
  return notFound;
}

/** The last path segment of an ARN (a task id, a cluster name), or the string itself. */
export function idOf(arnOrName: string): string {
  return arnOrName.slice(arnOrName.lastIndexOf('/') + 1);
}
