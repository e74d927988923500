import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/**
 * The container instance identity, <data-dir>/instance.json: the id Register
 * returned on first start, reused on every later start so the control plane
 * and the Docker labels keep recognising this host.
 */
export interface InstanceIdentity {
  instanceId: string;
  containerInstanceArn: string;
  cluster: string;
  registeredAt: number;
}

export function identityFile(dataDir: string): string {
  return path.join(dataDir, 'instance.json');
}

export async function loadIdentity(dataDir: string): Promise<InstanceIdentity | undefined> {
  try {
    const v = JSON.parse(await fs.readFile(identityFile(dataDir), 'utf8')) as Partial<InstanceIdentity>;
    if (typeof v.instanceId !== 'string' || !v.instanceId || typeof v.cluster !== 'string') return undefined;
    return { instanceId: v.instanceId, containerInstanceArn: v.containerInstanceArn ?? '', cluster: v.cluster, registeredAt: v.registeredAt ?? 0 };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export async function saveIdentity(dataDir: string, id: InstanceIdentity): Promise<void> {
  await fs.mkdir(dataDir, { recursive: true });
  const file = identityFile(dataDir);
  await fs.writeFile(`${file}.tmp`, JSON.stringify(id, null, 2) + '\n');
  await fs.rename(`${file}.tmp`, file);
}
