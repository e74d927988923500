import type { ContainerDefinition, NetworkMode, Volume } from '../model/task-definition';
import { fieldOf } from './json-reader';

/**
 * What a task may take from its host beyond an ordinary container. Each of
 * these hands the container (a good part of) the host, so a cluster refuses
 * them unless an operator enabled them with a cluster setting. The control
 * plane checks at RunTask, StartTask and service create/update; the agent
 * checks again before creating a container, from the policy in the
 * assignment.
 */
export interface HostAccess {
  privileged: boolean;
  hostNetwork: boolean;
  hostPid: boolean;
  addedCapabilities: boolean;
  hostDevices: boolean;
  hostPathVolumes: boolean;
}

export const NO_HOST_ACCESS: HostAccess = { privileged: false, hostNetwork: false, hostPid: false, addedCapabilities: false, hostDevices: false, hostPathVolumes: false };

/** Cluster setting names (CreateCluster / UpdateClusterSettings), value enabled | disabled. */
export const HOST_ACCESS_SETTINGS: Readonly<Record<string, keyof HostAccess>> = {
  'stevedore:allowPrivilegedContainers': 'privileged',
  'stevedore:allowHostNetwork': 'hostNetwork',
  'stevedore:allowHostPid': 'hostPid',
  'stevedore:allowAddedCapabilities': 'addedCapabilities',
  'stevedore:allowHostDevices': 'hostDevices',
  'stevedore:allowHostPathVolumes': 'hostPathVolumes',
};

const SETTING_OF = Object.fromEntries(Object.entries(HOST_ACCESS_SETTINGS).map(([k, v]) => [v, k])) as Record<keyof HostAccess, string>;

export function hostAccessOf(settings: readonly { name: string; value: string }[]): HostAccess {
  const out: HostAccess = { ...NO_HOST_ACCESS };
  for (const s of settings) {
    const key = HOST_ACCESS_SETTINGS[s.name];
    if (key) out[key] = s.value === 'enabled';
  }
  return out;
}

/**
 * Sockets that control the container runtime: mounting one (or a directory
 * holding one) gives the container root on the host whatever else is
 * allowed, so no setting enables them.
 */
const RUNTIME_SOCKETS = ['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock', '/run/docker/containerd/containerd.sock'];

function normalize(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

export function isRuntimeSocketPath(sourcePath: string): boolean {
  const p = normalize(sourcePath);
  if (/(^|\/)(docker|containerd)\.sock$/.test(p)) return true;
  return RUNTIME_SOCKETS.some((s) => s === p || s.startsWith(p === '/' ? '/' : `${p}/`));
}

export interface HostAccessSubject {
  networkMode?: NetworkMode;
  pidMode?: string;
  volumes?: Volume[];
  containerDefinitions: ContainerDefinition[];
}

export interface HostAccessViolation {
  field: string;
  message: string;
}

/** Everything in the definition the policy does not allow, each naming its field and the setting that would allow it. */
export function hostAccessViolations(td: HostAccessSubject, access: HostAccess): HostAccessViolation[] {
  const out: HostAccessViolation[] = [];
  const refuse = (field: string, what: string, key: keyof HostAccess) => {
    if (!access[key]) out.push({ field, message: `${field}: ${what} is not allowed in this cluster (enable the cluster setting ${SETTING_OF[key]})` });
  };
  if (td.networkMode === 'host') refuse('networkMode', 'host networking', 'hostNetwork');
  if (td.pidMode === 'host') refuse('pidMode', 'the host PID namespace', 'hostPid');
  (td.volumes ?? []).forEach((v, i) => {
    const source = v.host?.sourcePath;
    if (!source) return;
    const field = fieldOf('volumes', i, 'host', 'sourcePath');
    if (isRuntimeSocketPath(source)) out.push({ field, message: `${field}: ${source} exposes the container runtime's socket, which is never mounted into containers` });
    else refuse(field, `host path ${source}`, 'hostPathVolumes');
  });
  td.containerDefinitions.forEach((c, i) => {
    if (c.privileged === true) refuse(fieldOf('containerDefinitions', i, 'privileged'), `privileged mode (container '${c.name}')`, 'privileged');
    const caps = c.linuxParameters?.capabilities?.add ?? [];
    if (caps.length > 0) refuse(fieldOf('containerDefinitions', i, 'linuxParameters', 'capabilities', 'add'), `added capabilities ${caps.join(', ')} (container '${c.name}')`, 'addedCapabilities');
    if ((c.linuxParameters?.devices ?? []).length > 0) refuse(fieldOf('containerDefinitions', i, 'linuxParameters', 'devices'), `host devices (container '${c.name}')`, 'hostDevices');
  });
  return out;
}
