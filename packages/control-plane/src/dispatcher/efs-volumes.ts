import { evaluate, joinExportPath, roleNameOf, type PolicyDocument, type ResolvedEfsVolume, type TaskAssignment } from '@stevedore/core';
import type { Store } from '../store/store';

/** A root directory or access point root as a path under the export: no '..', ',' or ':' (it becomes Docker's `device=:<path>`). */
const SAFE_PATH = /^\/?(?:[A-Za-z0-9_.@+ -]+\/?)*$/;

/** How ECS words a refused EFS mount (its mount helper's exit status 32: mount failure). */
const EFS_UTILS_FAILURE = 'failed to invoke EFS utils commands to set up EFS volumes';


/**
 * The task's efsVolumeConfiguration volumes, resolved against the file
 * system registry for the agent that mounts them. A volume that cannot be
 * resolved carries its error instead: the agent fails the task with it
 * (ResourceInitializationError) before creating any container that mounts it.
 */
export function resolveEfsVolumes(store: Store, a: TaskAssignment): ResolvedEfsVolume[] | undefined {
  const out: ResolvedEfsVolume[] = [];
  for (const v of a.volumes) {
    const efs = v.efsVolumeConfiguration;
    if (!efs || !v.name) continue;
    const base = { name: v.name, fileSystemId: efs.fileSystemId };
    const fail = (error: string) => out.push({ ...base, error });
    const fs = store.fileSystems.get(efs.fileSystemId);
    if (!fs) {
      fail(`file system ${efs.fileSystemId} is not registered (stevedore fs create)`);
      continue;
    }
    let sub = efs.rootDirectory ?? '/';
    const apId = efs.authorizationConfig?.accessPointId;
    if (apId !== undefined) {
      const ap = store.fileSystems.getAccessPoint(apId);
      if (!ap || ap.fileSystemId !== fs.fileSystemId) {
        fail(`access point ${apId} does not exist on file system ${fs.fileSystemId}`);
        continue;
      }
      sub = ap.rootDirectory;
    }
    if (!SAFE_PATH.test(sub) || sub.split('/').includes('..')) {
      fail(`rootDirectory ${JSON.stringify(sub.slice(0, 100))} must be a path without '..', ',' or ':'`);
      continue;
    }
    // EFS IAM authorization: the task role must allow ClientMount; without ClientWrite the mount is read-only.
    let readOnly = false;
    if (efs.authorizationConfig?.iam === 'ENABLED') {
      const fsArn = `arn:aws:elasticfilesystem:${store.arnContext.region}:${store.arnContext.account}:file-system/${fs.fileSystemId}`;
      const roleName = a.taskRoleArn === undefined ? undefined : roleNameOf(a.taskRoleArn);
      const role = roleName === undefined ? undefined : store.iam.getRole(roleName);
      if (!role) {
        fail(`authorizationConfig.iam is ENABLED but the task has no task role (created with stevedore iam create-role) to authorize the mount`);
        continue;
      }
      const policy = role.policyDocument as PolicyDocument;
      if (evaluate(policy, 'elasticfilesystem:ClientMount', fsArn) !== 'allow') {
        // ECS reports EFS's refusal as its mount helper's failure; the IAM sentence says why.
        const denial = `the task role ${roleName} is not authorized to perform: elasticfilesystem:ClientMount on resource: ${fsArn}`;
        out.push({ ...base, mountError: `${EFS_UTILS_FAILURE}: stderr: mount.nfs4: access denied by server while mounting ${fs.server}:${joinExportPath(fs.path, sub)} (volume ${v.name}: ${denial}) : unsuccessful EFS utils command execution; code: 32` });
        continue;
      }
      readOnly = evaluate(policy, 'elasticfilesystem:ClientWrite', fsArn) !== 'allow';
    }
    const mountOptions = [fs.mountOptions, readOnly ? 'ro' : undefined].filter((o): o is string => o !== undefined).join(',');
    out.push({
      ...base,
      server: fs.server,
      path: joinExportPath(fs.path, sub),
      nfsVersion: fs.nfsVersion,
      ...(mountOptions !== '' ? { mountOptions } : {}),
      transitEncryption: efs.transitEncryption ?? 'DISABLED',
      ...(efs.transitEncryptionPort !== undefined ? { transitEncryptionPort: efs.transitEncryptionPort } : {}),
    });
  }
  return out.length ? out : undefined;
}
