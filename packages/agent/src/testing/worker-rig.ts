import { systemClock, type TaskAssignment, type TaskReport } from '@stevedore/core/host';
import { FakeContainerController } from './fake-container-controller';
import { silentLogger } from '../logger';
import { ImagePuller } from '../worker/image-puller';
import { MemoryTaskJournal } from '../worker/task-journal';
import { Worker, type WorkerOptions } from '../worker/worker';
import { TEST_IMAGE } from './builders';
import { waitFor } from './wait-for';

const running: Worker[] = [];

/** Stops every worker startWorkerRig started: call it from the test file's afterEach. */
export function stopWorkerRigs(): void {
  while (running.length) running.pop()!.stop();
}

/**
 * A Worker on a FakeContainerController (TEST_IMAGE cached, an in-memory
 * journal, the latest report per task kept), for tests of the task runner's
 * behaviour; `options` override any worker setting.
 */
export async function startWorkerRig(options: Partial<WorkerOptions> & { fake?: FakeContainerController } = {}) {
  const { fake = new FakeContainerController(), ...overrides } = options;
  fake.images.add(TEST_IMAGE);
  const latest = new Map<string, TaskReport>();
  const log = overrides.log ?? silentLogger();
  const journal = overrides.journal ?? new MemoryTaskJournal();
  const worker = new Worker({
    controller: fake,
    images: new ImagePuller(fake, 'default', undefined, log),
    journal,
    clock: systemClock,
    log,
    instanceId: 'i-rig',
    hostIp: '127.0.0.2',
    agentVersion: 't',
    defaultStopTimeoutSeconds: 5,
    cleanupWaitMs: 3600_000,
    reports: { report: (r) => void latest.set(r.taskArn, r), forget: () => undefined },
    ...overrides,
  });
  await worker.start();
  running.push(worker);
  const until = (a: TaskAssignment, status: string) => waitFor(`task ${status}`, () => (latest.get(a.taskArn)?.lastStatus === status ? latest.get(a.taskArn) : undefined));
  return { fake, worker, journal, latest, until };
}
