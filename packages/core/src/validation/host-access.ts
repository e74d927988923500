import type { ContainerDefinition, Volume } from '../model/task-definition';
import type { HostAccess } from '../model/host-access';
import { fieldOf } from './json-reader';
import { isNamespacedSystemControl, isSafeSecurityOption, isSystemControlName, notDefaultCapabilities } from './host-access-rules';

export { DOCKER_DEFAULT_CAPABILITIES, NAMESPACED_IPC_SYSTEM_CONTROLS, SAFE_SECURITY_OPTIONS } from './host-access-rules';

/** Cluster setting name (CreateCluster / UpdateClusterSettings, value enabled | disabled) -> what it allows. */
export const HOST_ACCESS_SETTINGS: ReadonlyMap<string, keyof HostAccess> = new Map<string, keyof HostAccess>([
  ['stevedore:allowPrivilegedContainers', 'privileged'],
  ['stevedore:allowHostNetwork', 'hostNetwork'],
  ['stevedore:allowHostPid', 'hostPid'],
  ['stevedore:allowHostIpc', 'hostIpc'],
  ['stevedore:allowAddedCapabilities', 'addedCapabilities'],
  ['stevedore:allowHostDevices', 'hostDevices'],
  ['stevedore:allowHostPathVolumes', 'hostPathVolumes'],
  ['stevedore:allowHostDockerVolumes', 'hostDockerVolumes'],
  ['stevedore:allowSecurityOptions', 'securityOptions'],
  ['stevedore:allowHostSystemControls', 'hostSystemControls'],
]);

const SETTING_OF = new Map([...HOST_ACCESS_SETTINGS].map(([name, key]) => [key, name] as const));

/** The setting that allows one kind of host access. */
export function hostAccessSettingOf(key: keyof HostAccess): string {
  return SETTING_OF.get(key)!;
}

const KEYS = [...HOST_ACCESS_SETTINGS.values()];
const policy = (allowed: boolean): HostAccess => Object.fromEntries(KEYS.map((k) => [k, allowed])) as unknown as HostAccess;

export const NO_HOST_ACCESS: HostAccess = Object.freeze(policy(false));
/** Everything a setting can allow: what is still refused under it is never allowed. */
export const ALL_HOST_ACCESS: HostAccess = Object.freeze(policy(true));

/** The policy a cluster's settings give. Only an exact `enabled` enables; anything else (or nothing) allows nothing. */
export function hostAccessOf(settings: readonly { name: string; value: string }[]): HostAccess {
  const out: HostAccess = policy(false);
  for (const s of Array.isArray(settings) ? settings : []) {
    const key = typeof s?.name === 'string' ? HOST_ACCESS_SETTINGS.get(s.name) : undefined;
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
  networkMode?: string;
  pidMode?: string;
  ipcMode?: string;
  volumes?: Volume[];
  containerDefinitions: ContainerDefinition[];
}

export interface HostAccessViolation {
  field: string;
  message: string;
  /** The cluster setting that would allow it; absent when nothing can (the runtime socket, malformed values). */
  setting?: string;
}

const NETWORK_MODES = ['bridge', 'host', 'awsvpc', 'none'];
const PID_MODES = ['host', 'task'];
const IPC_MODES = ['host', 'task', 'none'];

/** A list member as given, or undefined when it is not a list (a forged assignment may hold anything). */
function listOf(v: unknown): unknown[] | undefined {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Everything in the definition the policy does not allow, each naming its
 * field and the setting that would allow it. Fail-closed: a value of the
 * wrong type or form (which validation refuses at registration, so only a
 * forged or corrupted assignment carries one) is a violation nothing allows.
 */
export function hostAccessViolations(td: HostAccessSubject, access: HostAccess): HostAccessViolation[] {
  const out: HostAccessViolation[] = [];
  const refuse = (field: string, what: string, key: keyof HostAccess) => {
    if (access[key] === true) return;
    const setting = hostAccessSettingOf(key);
    out.push({ field, setting, message: `${field}: ${what} is not allowed in this cluster (enable the cluster setting ${setting})` });
  };
  const never = (field: string, why: string) => out.push({ field, message: `${field}: ${why}` });
  const hostNetwork = td.networkMode === 'host';
  const hostIpc = td.ipcMode === 'host';

  if (td.networkMode !== undefined && !NETWORK_MODES.includes(td.networkMode)) never('networkMode', `'${String(td.networkMode)}' is not a network mode`);
  if (hostNetwork) refuse('networkMode', "'host' (the host's network stack)", 'hostNetwork');
  if (td.pidMode !== undefined && !PID_MODES.includes(td.pidMode)) never('pidMode', `'${String(td.pidMode)}' is not a PID mode`);
  if (td.pidMode === 'host') refuse('pidMode', "'host' (the host's processes)", 'hostPid');
  if (td.ipcMode !== undefined && !IPC_MODES.includes(td.ipcMode)) never('ipcMode', `'${String(td.ipcMode)}' is not an IPC mode`);
  if (hostIpc) refuse('ipcMode', "'host' (the host's shared memory and IPC objects)", 'hostIpc');

  const volumes = listOf(td.volumes);
  if (volumes === undefined) never('volumes', 'is not a list');
  (volumes ?? []).forEach((v, i) => volumeViolations(v, i, refuse, never));

  const containers = listOf(td.containerDefinitions);
  if (containers === undefined) never('containerDefinitions', 'is not a list');
  const names = new Set((containers ?? []).map((c) => (isRecord(c) ? c['name'] : undefined)));
  (containers ?? []).forEach((c, i) => {
    if (!isRecord(c)) return never(fieldOf('containerDefinitions', i), 'is not a container definition');
    containerViolations(c as unknown as ContainerDefinition, i, { hostNetwork, hostIpc, names }, refuse, never);
  });
  return out;
}

type Refuse = (field: string, what: string, key: keyof HostAccess) => void;
type Never = (field: string, why: string) => void;

function volumeViolations(v: unknown, i: number, refuse: Refuse, never: Never): void {
  if (!isRecord(v)) return never(fieldOf('volumes', i), 'is not a volume');
  const host = v['host'];
  const source = isRecord(host) ? host['sourcePath'] : undefined;
  if (source !== undefined && source !== null) {
    const field = fieldOf('volumes', i, 'host', 'sourcePath');
    if (typeof source !== 'string') never(field, 'is not a path');
    // The agent hands Docker "source:target[:ro]": a ':' would let the path carry a second path (or options) past this check,
    // and a relative one is a named volume.
    else if (source !== '' && (!source.startsWith('/') || source.includes(':'))) never(field, `${JSON.stringify(source)} is not an absolute path without ':'`);
    else if (isRuntimeSocketPath(source)) never(field, `${source} exposes the container runtime's socket, which is never mounted into containers`);
    else if (source !== '') refuse(field, `host path ${source}`, 'hostPathVolumes');
  }
  const dv = v['dockerVolumeConfiguration'];
  if (dv === undefined || dv === null) return;
  const at = (...p: string[]) => fieldOf('volumes', i, 'dockerVolumeConfiguration', ...p);
  if (!isRecord(dv)) return never(at(), 'is not a Docker volume configuration');
  // Shared volumes are found by name among every volume on the host: another task's, or one an operator made.
  if (dv['scope'] !== undefined && dv['scope'] !== 'task') refuse(at('scope'), `'${String(dv['scope'])}' (a Docker volume attached by name from the host, outlasting the task)`, 'hostDockerVolumes');
  if (dv['autoprovision'] !== undefined && dv['autoprovision'] !== false) refuse(at('autoprovision'), 'autoprovisioning a named host volume', 'hostDockerVolumes');
  // Other drivers are host plugins (and run as root); their options are theirs to interpret.
  if (dv['driver'] !== undefined && dv['driver'] !== 'local') refuse(at('driver'), `volume driver '${String(dv['driver'])}' (a host plugin)`, 'hostDockerVolumes');
  // The local driver's options are mount(8) arguments: type=none,o=bind,device=/ mounts the host's root.
  const opts = dv['driverOpts'];
  if (opts !== undefined && opts !== null && (!isRecord(opts) || Object.keys(opts).length > 0)) refuse(at('driverOpts'), 'driverOpts (mount options run by the Docker daemon on the host)', 'hostDockerVolumes');
  // Allowing driver options is not allowing the runtime's socket: a bind of it (or of a directory above it) stays refused.
  const device = isRecord(opts) && Object.hasOwn(opts, 'device') ? opts['device'] : undefined;
  if (typeof device === 'string' && device.startsWith('/') && isRuntimeSocketPath(device)) {
    never(at('driverOpts'), `device ${device} exposes the container runtime's socket, which is never mounted into containers`);
  }
}

interface TaskFacts {
  hostNetwork: boolean;
  hostIpc: boolean;
  names: Set<unknown>;
}

function containerViolations(c: ContainerDefinition, i: number, task: TaskFacts, refuse: Refuse, never: Never): void {
  const at = (...p: (string | number)[]) => fieldOf('containerDefinitions', i, ...p);
  const who = `(container '${String(c.name)}')`;
  if (c.privileged !== undefined && typeof c.privileged !== 'boolean') never(at('privileged'), 'is not a boolean');
  else if (c.privileged === true) refuse(at('privileged'), `privileged mode ${who}`, 'privileged');

  const lp = c.linuxParameters as unknown;
  if (lp !== undefined && lp !== null && !isRecord(lp)) never(at('linuxParameters'), 'is not an object');
  const lpr = isRecord(lp) ? lp : {};
  const caps = isRecord(lpr['capabilities']) ? listOf(lpr['capabilities']['add']) : listOf(undefined);
  if (caps === undefined || caps.some((x) => typeof x !== 'string')) never(at('linuxParameters', 'capabilities', 'add'), 'is not a list of capability names');
  else {
    const extra = notDefaultCapabilities(caps as string[]);
    if (extra.length > 0) refuse(at('linuxParameters', 'capabilities', 'add'), `capabilities beyond Docker's default set (${extra.join(', ')}) ${who}`, 'addedCapabilities');
  }
  const devices = listOf(lpr['devices']);
  if (devices === undefined || devices.length > 0) refuse(at('linuxParameters', 'devices'), `host devices ${who}`, 'hostDevices');

  const secOpts = listOf(c.dockerSecurityOptions);
  if (secOpts === undefined) never(at('dockerSecurityOptions'), 'is not a list');
  (secOpts ?? []).forEach((o, j) => {
    if (!isSafeSecurityOption(o)) refuse(at('dockerSecurityOptions', j), `${JSON.stringify(o)} (weakens or replaces the container's confinement) ${who}`, 'securityOptions');
  });

  const sysctls = listOf(c.systemControls);
  if (sysctls === undefined) never(at('systemControls'), 'is not a list');
  (sysctls ?? []).forEach((s, j) => {
    const name = isRecord(s) ? s['namespace'] : undefined;
    if (name === undefined || name === null) return;
    const field = at('systemControls', j, 'namespace');
    if (typeof name !== 'string' || !isSystemControlName(name)) return never(field, `${JSON.stringify(name)} is not a kernel parameter name (dot-separated letters, digits, '_' and '-')`);
    const scope = isNamespacedSystemControl(name, task);
    if (scope !== true) refuse(field, `${name} (${scope}) ${who}`, 'hostSystemControls');
  });

  const mounts = listOf(c.mountPoints);
  if (mounts === undefined) never(at('mountPoints'), 'is not a list');
  (mounts ?? []).forEach((m, j) => {
    const target = isRecord(m) ? m['containerPath'] : undefined;
    if (typeof target === 'string' && target.includes(':')) never(at('mountPoints', j, 'containerPath'), `${JSON.stringify(target)}: a container path cannot contain ':'`);
  });

  // The agent resolves these among the task's own containers; any other name would reach a container outside the task.
  const links = listOf(c.links);
  (links ?? ['?']).forEach((l, j) => {
    const name = typeof l === 'string' ? l.split(':')[0] : undefined;
    if (!task.names.has(name)) never(at('links', j), `${JSON.stringify(l)} does not name a container of this task`);
  });
  const from = listOf(c.volumesFrom);
  (from ?? ['?']).forEach((v, j) => {
    const name = isRecord(v) ? v['sourceContainer'] : undefined;
    if (!task.names.has(name)) never(at('volumesFrom', j, 'sourceContainer'), `${JSON.stringify(name)} does not name a container of this task`);
  });
}
