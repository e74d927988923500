/**
 * The tables behind the host-access decision (host-access.ts), each an
 * allowlist: what is not in it needs a cluster setting. Allowlists, because
 * Docker keeps adding ways to loosen a container (systempaths=unconfined,
 * writable-cgroups, the bare `disable` label option) and a denylist would
 * let the next one through.
 */

/** Docker's default capability set (moby oci/caps/defaults.go): adding one of these changes nothing. */
export const DOCKER_DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
]);

/** The capabilities in `add` that Docker does not grant anyway, as Docker reads them (case-insensitive, optional CAP_). */
export function notDefaultCapabilities(add: readonly string[]): string[] {
  return add.filter((cap) => !DOCKER_DEFAULT_CAPABILITIES.has(cap.toUpperCase().replace(/^CAP_/, '')));
}

/**
 * dockerSecurityOptions that only keep or tighten Docker's defaults. Anything
 * else (seccomp=unconfined or a custom profile, apparmor:unconfined or
 * another profile, label=disable or another SELinux type such as spc_t,
 * no-new-privileges=false, systempaths=unconfined...) can undo the
 * confinement that keeps a root process in a container off the host.
 */
export const SAFE_SECURITY_OPTIONS: ReadonlySet<string> = new Set([
  'no-new-privileges', 'no-new-privileges=true', 'no-new-privileges:true',
  'apparmor=docker-default', 'apparmor:docker-default',
]);

export function isSafeSecurityOption(option: unknown): boolean {
  return typeof option === 'string' && SAFE_SECURITY_OPTIONS.has(option);
}

/** Kernel parameters of the IPC namespace (Docker and ECS docs), plus fs.mqueue.*. */
export const NAMESPACED_IPC_SYSTEM_CONTROLS: ReadonlySet<string> = new Set([
  'kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced',
]);

/**
 * A sysctl name as Docker passes it to runc, which writes /proc/sys/<name with
 * dots as slashes>: no slashes, no empty or `..` segments, so `net.x/../../kernel/core_pattern`
 * cannot pose as a network parameter.
 */
export function isSystemControlName(name: string): boolean {
  return name.length <= 256 && /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+$/.test(name);
}

/** True when the parameter only affects the task's own namespaces; otherwise why it reaches the host. */
export function isNamespacedSystemControl(name: string, task: { hostNetwork: boolean; hostIpc: boolean }): true | string {
  if (NAMESPACED_IPC_SYSTEM_CONTROLS.has(name) || name.startsWith('fs.mqueue.')) {
    return task.hostIpc ? "an IPC parameter, and the task shares the host's IPC namespace" : true;
  }
  if (name.startsWith('net.')) return task.hostNetwork ? "a network parameter, and the task uses the host's network" : true;
  return "not namespaced: it would set the host kernel's value";
}
