import type { ContainerDefinition, TaskDefinitionInput, Volume } from '../model/task-definition';
import { fieldOf } from './json-reader';
import { isSecretsStoreEnvironmentFile } from './environment-files';

/**
 * What Stevedore's agents cannot run yet. Registration accepts every valid
 * ECS definition (so existing JSON registers unchanged); RunTask and services
 * refuse to start one that uses any of these, with the reasons below, rather
 * than run something that silently differs from the definition.
 *
 * The tables are the roadmap: when an agent feature lands, delete its row.
 */

/** Log drivers the agent configures today (the ECS agent's default ECS_AVAILABLE_LOGGING_DRIVERS). */
export const SUPPORTED_LOG_DRIVERS: readonly string[] = ['json-file', 'awslogs', 'syslog', 'journald', 'fluentd', 'gelf', 'splunk', 'none'];
/** What to use instead of a log driver the agents do not run. */
const LOG_DRIVER_INSTEAD: ReadonlyMap<string, string> = new Map([
  ['awsfirelens', 'FireLens needs AWS-managed Fluent Bit routing: use awslogs (shipped to the control plane, read with aws logs), or fluentd pointing at a Fluent Bit/Fluentd you run'],
  ['logentries', 'use syslog or fluentd towards your log service'],
]);

interface TaskGate {
  applies: (td: TaskDefinitionInput) => boolean;
  subject: (td: TaskDefinitionInput) => string;
  why?: string;
}

interface ContainerGate {
  /** The sub-path under the container, or undefined when the container doesn't use the feature. */
  find: (c: ContainerDefinition) => { path: string[]; what?: string } | undefined;
  why?: string;
}

interface VolumeGate {
  find: (v: Volume) => { path: string[]; what: string } | undefined;
  why?: string;
}

const LOG_SECRETS = 'the supported log drivers take no secret options';
const NEEDS_AWS = 'it needs AWS infrastructure Stevedore does not manage';

const nonEmpty = (list: readonly unknown[] | undefined): boolean => (list?.length ?? 0) > 0;
const when = (cond: boolean, path: string[], what?: string) => (cond ? (what === undefined ? { path } : { path, what }) : undefined);

const TASK_GATES: readonly TaskGate[] = [
  { applies: (td) => td.proxyConfiguration !== undefined, subject: () => 'proxyConfiguration (App Mesh)', why: NEEDS_AWS },
  { applies: (td) => nonEmpty(td.inferenceAccelerators), subject: () => 'inferenceAccelerators (Elastic Inference)', why: NEEDS_AWS },
  // Beyond here: valid ECS features outside what the agent implements today.
  // (awsvpc, pidMode and ipcMode 'task' share the namespaces of the task's pause container: docs/design/fargate.md.)
  {
    applies: (td) => td.runtimePlatform?.operatingSystemFamily?.startsWith('WINDOWS') ?? false,
    subject: (td) => `runtimePlatform.operatingSystemFamily '${td.runtimePlatform?.operatingSystemFamily}'`,
    why: 'Stevedore instances run Linux containers',
  },
  { applies: (td) => td.enableFaultInjection === true, subject: () => 'enableFaultInjection', why: NEEDS_AWS },
];

const VOLUME_GATES: readonly VolumeGate[] = [
  // efsVolumeConfiguration: served from the file system registry (stevedore fs; docs/design/task-roles.md).
  {
    find: (v) => (v.fsxWindowsFileServerVolumeConfiguration === undefined ? undefined : { path: ['fsxWindowsFileServerVolumeConfiguration'], what: 'Amazon FSx for Windows File Server' }),
    why: NEEDS_AWS,
  },
  { find: (v) => (v.configuredAtLaunch === true ? { path: ['configuredAtLaunch'], what: 'Amazon EBS, configured at launch' } : undefined), why: NEEDS_AWS },
];

const CONTAINER_GATES: readonly ContainerGate[] = [
  // secrets and repositoryCredentials come from Stevedore's secrets store (secretsmanager.* API).
  { find: (c) => when(nonEmpty(c.logConfiguration?.secretOptions), ['logConfiguration', 'secretOptions']), why: LOG_SECRETS },
  {
    find: (c) => {
      const i = c.environmentFiles?.findIndex((f) => !isSecretsStoreEnvironmentFile(f.value)) ?? -1;
      return when(i >= 0, ['environmentFiles', String(i)], 'environmentFiles from Amazon S3');
    },
    why: 'store the file in the secrets store (stevedore secrets put) and give its arn:aws:secretsmanager ARN as value',
  },
  { find: (c) => when(c.firelensConfiguration !== undefined, ['firelensConfiguration'], 'firelensConfiguration (FireLens log routing)') },
  {
    find: (c) => {
      const driver = c.logConfiguration?.logDriver;
      if (driver === undefined || SUPPORTED_LOG_DRIVERS.includes(driver)) return undefined;
      return { path: ['logConfiguration', 'logDriver'], what: `log driver '${driver}' (${LOG_DRIVER_INSTEAD.get(driver) ?? `Stevedore agents support ${SUPPORTED_LOG_DRIVERS.join(', ')}`})` };
    },
  },
  {
    find: (c) => {
      const i = c.resourceRequirements?.findIndex((r) => r.type === 'GPU') ?? -1;
      return when(i >= 0, ['resourceRequirements', String(i)], 'GPU resourceRequirements');
    },
    why: 'pass the GPU device in with linuxParameters.devices on a cluster that allows it (stevedore:allowHostDevices), on an EC2 launch',
  },
  {
    find: (c) => {
      const i = c.resourceRequirements?.findIndex((r) => r.type === 'InferenceAccelerator') ?? -1;
      return when(i >= 0, ['resourceRequirements', String(i)], 'InferenceAccelerator resourceRequirements');
    },
    why: NEEDS_AWS,
  },
  // Beyond here: valid ECS features outside what the agent implements today.
  // privileged, devices, added capabilities, host network/pid and host paths are mapped; cluster settings decide (host-access.ts).
  {
    find: (c) => {
      const i = c.portMappings?.findIndex((m) => m.containerPortRange !== undefined) ?? -1;
      return when(i >= 0, ['portMappings', String(i), 'containerPortRange']);
    },
    why: 'map individual ports for now',
  },
  { find: (c) => when(nonEmpty(c.credentialSpecs), ['credentialSpecs'], 'credentialSpecs (Windows gMSA)'), why: NEEDS_AWS },
];

function reason(subject: string, why: string | undefined): string {
  return `${subject} is not supported yet by Stevedore agents${why === undefined ? '' : ` (${why})`}`;
}

function pathOf(base: (string | number)[], sub: string[]): string {
  return fieldOf(...base, ...sub.map((p) => (/^\d+$/.test(p) ? Number(p) : p)));
}

/**
 * Human-readable reasons why Stevedore cannot run this definition yet, each
 * naming the field. Empty means the agents can run it. Pass the definition
 * with RunTask overrides applied so overridden GPU or S3 settings count too.
 */
export function unsupportedFeatures(td: TaskDefinitionInput): string[] {
  const reasons: string[] = [];
  for (const gate of TASK_GATES) if (gate.applies(td)) reasons.push(reason(gate.subject(td), gate.why));
  (td.volumes ?? []).forEach((v, i) => {
    for (const gate of VOLUME_GATES) {
      const found = gate.find(v);
      if (found !== undefined) reasons.push(reason(`${pathOf(['volumes', i], found.path)} (${found.what} volume '${v.name}')`, gate.why));
    }
  });
  td.containerDefinitions.forEach((c, i) => {
    for (const gate of CONTAINER_GATES) {
      const found = gate.find(c);
      if (found === undefined) continue;
      const field = pathOf(['containerDefinitions', i], found.path);
      const subject = found.what === undefined ? field : `${field}: ${found.what}`;
      reasons.push(reason(`${subject} in container '${c.name}'`, gate.why));
    }
  });
  return reasons;
}
