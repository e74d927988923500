/**
 * Every Docker call the agent makes has a deadline here, with the reason for
 * its value. A call without a deadline can wedge a task actor forever when
 * dockerd hangs (it does, under I/O pressure), and a task that never reports
 * is worse than one that reports a timeout error.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;

export const DOCKER_TIMEOUTS = {
  /** Daemon info/version at startup: cheap calls; a slower daemon is not usable yet, so retry. */
  info: 30 * SECOND,
  /** Inspect reads daemon memory only; 30s covers a daemon busy with a big pull or many starts. */
  inspect: 30 * SECOND,
  /** Listing our containers on adoption and resync; scales with container count. */
  list: MINUTE,
  /** Local image lookup (inspect image). */
  imageInspect: 30 * SECOND,
  /** ECS_IMAGE_PULL_TIMEOUT: big images over slow links legitimately take long. */
  pull: 2 * 60 * MINUTE,
  /** ECS_IMAGE_PULL_INACTIVITY_TIMEOUT: a pull that makes no progress for this long is stuck. */
  pullInactivity: MINUTE,
  /** ECS_CONTAINER_CREATE_TIMEOUT: create may copy image layers into a new rootfs. */
  create: 4 * MINUTE,
  /** ECS_CONTAINER_START_TIMEOUT (Linux): start sets up mounts, networking and the init process. */
  start: 3 * MINUTE,
  /** Added to a container's stopTimeout: Docker waits stopTimeout before SIGKILL, then must reap. */
  stopGrace: 30 * SECOND,
  /** ECS removeContainerTimeout: removing a rootfs can be slow on busy overlay filesystems. */
  remove: 5 * MINUTE,
  /** Volume create/remove touch only the volume driver (local: a directory). */
  volume: MINUTE,
  /** Creating an exec (a startup health check): daemon bookkeeping only; the check's own timeout bounds the run. */
  execCreate: 30 * SECOND,
  /** Opening a log stream; following it afterwards has no deadline (it lasts as long as the reader). */
  logsOpen: 30 * SECOND,
  /** Delay before reopening a broken event stream, so a restarting dockerd is not hammered. */
  eventsReconnect: SECOND,
  /** Longest wait between event stream reconnect attempts while dockerd is down. */
  eventsReconnectMax: 15 * SECOND,
} as const;

/** Safety net beside events: catches anything the event stream missed (lesson 4). */
export const RESYNC_INTERVAL_MS = 45 * SECOND;
