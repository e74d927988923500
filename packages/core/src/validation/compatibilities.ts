import type { Compatibility, TaskDefinitionInput } from '../model/task-definition';
import { ecsRejection, fieldOf } from './json-reader';
import { describeFargateOptions, isFargateCpu, isFargateSize, parseCpuUnits, parseMemoryMiB } from './task-size';

/**
 * Which launch types a task definition can run on. ECS computes this at
 * registration (`compatibilities`) and, for each launch type listed in
 * `requiresCompatibilities`, rejects the definition with the first reason it
 * cannot run there.
 *
 * - EC2: always; every network mode and field is valid on an EC2 instance.
 * - EXTERNAL (ECS Anywhere): everything except what needs AWS networking or
 *   attachments: awsvpc, App Mesh, Elastic Inference, EBS volumes configured
 *   at launch and fault injection (the agent drops those capabilities on
 *   external instances).
 * - FARGATE: awsvpc, task-level cpu and memory forming a Fargate size, and
 *   none of the host-level features Fargate does not expose (privileged,
 *   links, host paths, Docker volumes, FSx, devices, swap, tmpfs, shm size,
 *   extra capabilities beyond SYS_PTRACE, security options, GPUs and
 *   accelerators, IPC/host PID namespaces, log drivers other than awslogs,
 *   splunk and awsfirelens, awslogs without an execution role, start/stop
 *   timeouts above 120 s).
 */

export interface Incompatibility {
  field: string;
  /** ECS wording where known. */
  message: string;
  detail?: string;
}

const FARGATE_LOG_DRIVERS = ['awslogs', 'splunk', 'awsfirelens'];
/** Fargate caps both timeouts at two minutes. */
const FARGATE_MAX_TIMEOUT = 120;

function unitsOrUndefined(raw: string | undefined, parse: (raw: string, field: string) => number): number | undefined {
  if (raw === undefined) return undefined;
  try {
    return parse(raw, '');
  } catch {
    return undefined;
  }
}

function notOnFargate(field: string, what: string, detail?: string): Incompatibility {
  return { field, message: `Fargate compatible task definitions do not support ${what}.`, ...(detail === undefined ? {} : { detail }) };
}

export function fargateIncompatibilities(td: TaskDefinitionInput): Incompatibility[] {
  const out: Incompatibility[] = [];
  const networkMode = td.networkMode ?? 'bridge';
  if (networkMode !== 'awsvpc') {
    out.push({ field: 'networkMode', message: "Fargate only supports network mode 'awsvpc'.", detail: `networkMode is '${networkMode}'` });
  }
  const cpu = unitsOrUndefined(td.cpu, parseCpuUnits);
  const memory = unitsOrUndefined(td.memory, parseMemoryMiB);
  if (cpu === undefined) out.push({ field: 'cpu', message: "Fargate requires that 'cpu' be defined at the task level." });
  if (memory === undefined) out.push({ field: 'memory', message: "Fargate requires that 'memory' be defined at the task level." });
  const os = td.runtimePlatform?.operatingSystemFamily;
  if (cpu !== undefined && memory !== undefined && !isFargateSize(cpu, memory, os)) {
    out.push({
      field: isFargateCpu(cpu, os) ? 'memory' : 'cpu',
      message: 'No Fargate configuration exists for given values.',
      detail: `cpu ${cpu}, memory ${memory}: ${describeFargateOptions(cpu, os)}`,
    });
  }
  if (td.pidMode === 'host') out.push({ field: 'pidMode', message: "Tasks using the Fargate launch type do not support pidMode 'host'.", detail: "only 'task' is available" });
  if (td.ipcMode !== undefined) out.push({ field: 'ipcMode', message: 'Tasks using the Fargate launch type do not support ipcMode.' });
  if ((td.inferenceAccelerators?.length ?? 0) > 0) out.push(notOnFargate('inferenceAccelerators', 'inferenceAccelerators'));
  (td.volumes ?? []).forEach((v, i) => {
    if (v.host?.sourcePath !== undefined) out.push(notOnFargate(fieldOf('volumes', i, 'host', 'sourcePath'), 'sourcePath', 'Fargate bind mounts use task storage: omit host.sourcePath'));
    if (v.dockerVolumeConfiguration !== undefined) out.push(notOnFargate(fieldOf('volumes', i, 'dockerVolumeConfiguration'), 'dockerVolumeConfiguration'));
    if (v.fsxWindowsFileServerVolumeConfiguration !== undefined) {
      out.push(notOnFargate(fieldOf('volumes', i, 'fsxWindowsFileServerVolumeConfiguration'), 'fsxWindowsFileServerVolumeConfiguration'));
    }
  });
  td.containerDefinitions.forEach((c, i) => {
    const at = (...parts: (string | number)[]) => fieldOf('containerDefinitions', i, ...parts);
    const lp = c.linuxParameters;
    if (c.privileged === true) out.push(notOnFargate(at('privileged'), 'privileged'));
    if ((c.links?.length ?? 0) > 0) out.push(notOnFargate(at('links'), 'links'));
    if ((c.dockerSecurityOptions?.length ?? 0) > 0) out.push(notOnFargate(at('dockerSecurityOptions'), 'dockerSecurityOptions'));
    if ((lp?.devices?.length ?? 0) > 0) out.push(notOnFargate(at('linuxParameters', 'devices'), 'devices'));
    if (lp?.maxSwap !== undefined) out.push(notOnFargate(at('linuxParameters', 'maxSwap'), 'maxSwap'));
    if (lp?.swappiness !== undefined) out.push(notOnFargate(at('linuxParameters', 'swappiness'), 'swappiness'));
    if (lp?.sharedMemorySize !== undefined) out.push(notOnFargate(at('linuxParameters', 'sharedMemorySize'), 'sharedMemorySize'));
    if ((lp?.tmpfs?.length ?? 0) > 0) out.push(notOnFargate(at('linuxParameters', 'tmpfs'), 'tmpfs'));
    const extraCaps = (lp?.capabilities?.add ?? []).filter((cap) => cap !== 'SYS_PTRACE');
    if (extraCaps.length > 0) out.push(notOnFargate(at('linuxParameters', 'capabilities', 'add'), `adding capabilities other than SYS_PTRACE`, `got ${extraCaps.join(', ')}`));
    if (c.resourceRequirements?.some((r) => r.type === 'GPU')) out.push(notOnFargate(at('resourceRequirements'), 'GPU resource requirements'));
    const driver = c.logConfiguration?.logDriver;
    if (driver !== undefined && !FARGATE_LOG_DRIVERS.includes(driver)) {
      out.push(notOnFargate(at('logConfiguration', 'logDriver'), `log driver '${driver}'`, `use one of ${FARGATE_LOG_DRIVERS.join(', ')}`));
    }
    // On Fargate the execution role is what writes the logs: without one there is nobody to write them.
    if (driver === 'awslogs' && td.executionRoleArn === undefined) {
      out.push({
        field: 'executionRoleArn',
        message: 'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
        detail: `containerDefinitions[${i}] logs with awslogs`,
      });
    }
    if ((c.stopTimeout ?? 0) > FARGATE_MAX_TIMEOUT) out.push(notOnFargate(at('stopTimeout'), `a stopTimeout above ${FARGATE_MAX_TIMEOUT} seconds`));
    if ((c.startTimeout ?? 0) > FARGATE_MAX_TIMEOUT) out.push(notOnFargate(at('startTimeout'), `a startTimeout above ${FARGATE_MAX_TIMEOUT} seconds`));
  });
  return out;
}

export function externalIncompatibilities(td: TaskDefinitionInput): Incompatibility[] {
  const out: Incompatibility[] = [];
  const notExternal = (field: string, what: string): Incompatibility => ({ field, message: `The EXTERNAL launch type does not support ${what}.` });
  if (td.networkMode === 'awsvpc') out.push(notExternal('networkMode', "network mode 'awsvpc'"));
  if (td.proxyConfiguration !== undefined) out.push(notExternal('proxyConfiguration', 'App Mesh proxyConfiguration'));
  if ((td.inferenceAccelerators?.length ?? 0) > 0) out.push(notExternal('inferenceAccelerators', 'inferenceAccelerators'));
  if (td.enableFaultInjection === true) out.push(notExternal('enableFaultInjection', 'fault injection'));
  (td.volumes ?? []).forEach((v, i) => {
    if (v.configuredAtLaunch === true) out.push(notExternal(fieldOf('volumes', i, 'configuredAtLaunch'), 'volumes configured at launch (Amazon EBS)'));
  });
  return out;
}

export function computeCompatibilities(td: TaskDefinitionInput): Compatibility[] {
  const out: Compatibility[] = ['EC2'];
  if (externalIncompatibilities(td).length === 0) out.push('EXTERNAL');
  if (fargateIncompatibilities(td).length === 0) out.push('FARGATE');
  return out;
}

/** Registration-time check: each launch type the user requires must be one the definition can run on. */
export function checkRequiredCompatibilities(td: TaskDefinitionInput): void {
  const required = td.requiresCompatibilities ?? [];
  const checks: [Compatibility, (td: TaskDefinitionInput) => Incompatibility[]][] = [
    ['FARGATE', fargateIncompatibilities],
    ['EXTERNAL', externalIncompatibilities],
  ];
  for (const [launchType, incompatibilities] of checks) {
    if (!required.includes(launchType)) continue;
    const first = incompatibilities(td)[0];
    if (first !== undefined) throw ecsRejection(first.field, first.message, first.detail);
  }
}
