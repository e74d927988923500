import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import Docker from 'dockerode';
import { TEST_IMAGE } from './builders';

export const DOCKER_SOCKET = '/var/run/docker.sock';

/** Integration tests skip only when there is no Docker at all, and say so. */
export function dockerSkipReason(): string | undefined {
  if (existsSync(DOCKER_SOCKET)) return undefined;
  const reason = `SKIPPED: ${DOCKER_SOCKET} is absent, so the real-Docker integration tests cannot run here (CI always has Docker)`;
  process.stderr.write(`${reason}\n`);
  return reason;
}

const BUILD = `rm -rf /tmp/stevedore-rootfs && mkdir -p /tmp/stevedore-rootfs/bin /tmp/stevedore-rootfs/tmp /tmp/stevedore-rootfs/www && cp /bin/busybox /tmp/stevedore-rootfs/bin/busybox && for a in sh httpd sleep wget nc echo cat ls env kill true false test; do ln -s busybox /tmp/stevedore-rootfs/bin/$a; done && tar -C /tmp/stevedore-rootfs -c . | docker import -c 'ENV PATH=/bin' - ${TEST_IMAGE}`;

/** Builds the busybox test image when it is missing (the shared script in test/images/ if present). */
export async function ensureTestImage(docker: Docker): Promise<void> {
  try {
    await docker.getImage(TEST_IMAGE).inspect();
    return;
  } catch {
    // build below
  }
  const script = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'images', 'build-test-image.sh');
  if (existsSync(script)) execFileSync('bash', [script], { stdio: 'ignore' });
  else execFileSync('bash', ['-c', BUILD], { stdio: 'ignore' });
}

/** Removes every container and volume a test run labelled with its instance id. */
export async function removeLabelled(docker: Docker, instanceId: string): Promise<void> {
  const filters = { label: [`stevedore.instance=${instanceId}`] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
  const vols = await docker.listVolumes({ filters });
  for (const v of vols.Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
}
