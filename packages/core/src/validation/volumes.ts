import type { Volume } from '../model/task-definition';
import { NAME_RULE } from './container-fields';
import { ObjectReader, childPath, compact, ecsRejection, invalidParameter } from './json-reader';

type DockerVolumeConfiguration = NonNullable<Volume['dockerVolumeConfiguration']>;
type EfsVolumeConfiguration = NonNullable<Volume['efsVolumeConfiguration']>;
type FsxVolumeConfiguration = NonNullable<Volume['fsxWindowsFileServerVolumeConfiguration']>;

const VOLUME_KINDS = ['host', 'dockerVolumeConfiguration', 'efsVolumeConfiguration', 'fsxWindowsFileServerVolumeConfiguration'] as const;

export function readVolume(raw: unknown, field: string): Volume {
  const r = ObjectReader.of(raw, field, 'Volume');
  const kinds = VOLUME_KINDS.filter((k) => r.has(k));
  if (kinds.length > 1) {
    throw invalidParameter(r.at(kinds[1]!), `a volume has exactly one type, but both '${kinds[0]}' and '${kinds[1]}' are set.`);
  }
  return compact({
    name: r.requiredString('name', NAME_RULE),
    host: r.object('host', (v, f) => {
      const h = ObjectReader.of(v, f, 'HostVolumeProperties');
      const sourcePath = h.string('sourcePath');
      if (sourcePath !== undefined && sourcePath.trim() === '') {
        throw ecsRejection(h.at('sourcePath'), 'host.sourcePath should not be blank.', 'omit sourcePath to let Docker choose a host directory');
      }
      return compact({ sourcePath });
    }),
    dockerVolumeConfiguration: r.object('dockerVolumeConfiguration', readDockerVolume),
    efsVolumeConfiguration: r.object('efsVolumeConfiguration', readEfsVolume),
    fsxWindowsFileServerVolumeConfiguration: r.object('fsxWindowsFileServerVolumeConfiguration', readFsxVolume),
    configuredAtLaunch: r.bool('configuredAtLaunch'),
  });
}

function readDockerVolume(raw: unknown, field: string): DockerVolumeConfiguration {
  const r = ObjectReader.of(raw, field, 'DockerVolumeConfiguration');
  const scope = r.enumOf('scope', ['task', 'shared'] as const) ?? 'task';
  return compact({
    scope,
    // autoprovision only means something for shared volumes, so only they get the documented default.
    autoprovision: r.bool('autoprovision') ?? (scope === 'shared' ? false : undefined),
    // "local" is Docker's built-in driver; naming it keeps placement (docker-plugin.<driver>) explicit.
    driver: r.string('driver', { minLength: 1 }) ?? 'local',
    driverOpts: r.stringMap('driverOpts'),
    labels: r.stringMap('labels'),
  });
}

function readEfsVolume(raw: unknown, field: string): EfsVolumeConfiguration {
  const r = ObjectReader.of(raw, field, 'EFSVolumeConfiguration');
  const authorizationConfig = r.object('authorizationConfig', (v, f) => {
    const a = ObjectReader.of(v, f, 'EFSAuthorizationConfig');
    return compact({ accessPointId: a.string('accessPointId', { minLength: 1 }), iam: a.enumOf('iam', ['ENABLED', 'DISABLED'] as const) ?? 'DISABLED' });
  });
  const givenRoot = r.string('rootDirectory', { maxLength: 255 });
  const transitEncryption = r.enumOf('transitEncryption', ['ENABLED', 'DISABLED'] as const) ?? 'DISABLED';
  const authField = r.at('authorizationConfig');
  if (authorizationConfig?.accessPointId !== undefined) {
    if (givenRoot !== undefined && givenRoot !== '/') {
      throw ecsRejection(r.at('rootDirectory'), 'When an access point is specified, rootDirectory must be omitted or set to /.', `the access point '${authorizationConfig.accessPointId}' already sets the root directory`);
    }
  }
  const needsTls = authorizationConfig?.accessPointId !== undefined || authorizationConfig?.iam === 'ENABLED';
  if (needsTls && transitEncryption !== 'ENABLED') {
    throw ecsRejection(
      r.at('transitEncryption'),
      'Transit encryption must be enabled when using an access point or IAM authorization.',
      `${authField} requires transitEncryption 'ENABLED'`,
    );
  }
  return compact({
    fileSystemId: r.requiredString('fileSystemId', { minLength: 1 }),
    rootDirectory: givenRoot ?? '/',
    transitEncryption,
    transitEncryptionPort: r.int('transitEncryptionPort', { min: 1, max: 65535 }),
    authorizationConfig,
  });
}

function readFsxVolume(raw: unknown, field: string): FsxVolumeConfiguration {
  const r = ObjectReader.of(raw, field, 'FSxWindowsFileServerVolumeConfiguration');
  return {
    fileSystemId: r.requiredString('fileSystemId', { minLength: 1 }),
    rootDirectory: r.requiredString('rootDirectory', { minLength: 1 }),
    authorizationConfig: r.requiredObject('authorizationConfig', (v, f) => {
      const a = ObjectReader.of(v, f, 'FSxWindowsFileServerAuthorizationConfig');
      return { credentialsParameter: a.requiredString('credentialsParameter', { minLength: 1 }), domain: a.requiredString('domain', { minLength: 1 }) };
    }),
  };
}

/** Rules across the volume list: names are what mount points refer to, so they must be unique. */
export function checkVolumeList(volumes: readonly Volume[], field: string): void {
  const seen = new Map<string, number>();
  let launchConfigured: number | undefined;
  volumes.forEach((v, i) => {
    const name = v.name!;
    const first = seen.get(name);
    if (first !== undefined) {
      throw ecsRejection(childPath(childPath(field, i), 'name'), `Duplicate volume name '${name}'.`, `also declared at ${childPath(field, first)}`);
    }
    seen.set(name, i);
    if (v.configuredAtLaunch === true) {
      if (launchConfigured !== undefined) {
        throw ecsRejection(
          childPath(childPath(field, i), 'configuredAtLaunch'),
          'Only one volume in a task definition can be configured at launch.',
          `${childPath(field, launchConfigured)} is already configured at launch`,
        );
      }
      launchConfigured = i;
    }
  });
}
