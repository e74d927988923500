import { TASK_TIMESTAMPS, type DesiredStatus, type HealthStatus, type Task, type TaskContainer, type TaskStatus, type TaskStopCode, type ContainerStatus, type TaskTimestamp } from '@stevedore/core';

/*
 * How a task is laid out in the store: its row in `tasks`, its containers'
 * rows in `containers`, and the light summary row placement reads; the
 * conversions both ways. The reads (tasks-repo.ts) and the writes
 * (task-writes.ts) share them.
 */

export interface TaskRow {
  id: string;
  cluster: string;
  task_definition_arn: string;
  family: string;
  revision: number;
  container_instance_id: string | null;
  last_status: string;
  desired_status: string;
  health_status: string;
  cpu: number;
  memory: number;
  host_ports_json: string;
  started_by: string | null;
  grp: string;
  version: number;
  assignment_version: number;
  stop_code: string | null;
  stopped_reason: string | null;
  overrides_json: string;
  tags_json: string;
  created_at: number;
  pull_started_at: number | null;
  pull_stopped_at: number | null;
  started_at: number | null;
  stopping_at: number | null;
  execution_stopped_at: number | null;
  stopped_at: number | null;
  connectivity_at: number | null;
  seq: number;
  launch_type: string;
  launch_json: string | null;
  provisioning_json: string | null;
}

/** The launch details kept in launch_json (migration 018). */
type LaunchDetails = Pick<Task, 'capacityProviderName' | 'platformVersion' | 'networkInterface' | 'ephemeralStorage' | 'enableExecuteCommand'>;

function launchDetails(t: Task): string | null {
  const d: LaunchDetails = {};
  if (t.capacityProviderName !== undefined) d.capacityProviderName = t.capacityProviderName;
  if (t.platformVersion !== undefined) d.platformVersion = t.platformVersion;
  if (t.networkInterface !== undefined) d.networkInterface = t.networkInterface;
  if (t.ephemeralStorage !== undefined) d.ephemeralStorage = t.ephemeralStorage;
  if (t.enableExecuteCommand) d.enableExecuteCommand = true;
  return Object.keys(d).length > 0 ? JSON.stringify(d) : null;
}

export interface ContainerRow {
  task_id: string;
  idx: number;
  id: string;
  name: string;
  image: string;
  status: string;
  runtime_id: string | null;
  exit_code: number | null;
  reason: string | null;
  network_bindings_json: string;
  health_status: string;
  essential: number;
  has_health_check: number;
  cpu: number | null;
  memory: number | null;
  memory_reservation: number | null;
}

/** Every column of a task's row and of a container's row, by name: for reads that select them (tasks-repo.ts). */
export const TASK_COLUMNS = [
  'id',
  'cluster',
  'task_definition_arn',
  'family',
  'revision',
  'container_instance_id',
  'last_status',
  'desired_status',
  'health_status',
  'cpu',
  'memory',
  'host_ports_json',
  'started_by',
  'grp',
  'version',
  'assignment_version',
  'stop_code',
  'stopped_reason',
  'overrides_json',
  'tags_json',
  'created_at',
  'pull_started_at',
  'pull_stopped_at',
  'started_at',
  'stopping_at',
  'execution_stopped_at',
  'stopped_at',
  'connectivity_at',
  'seq',
  'launch_type',
  'launch_json',
  'provisioning_json',
] as const satisfies readonly (keyof TaskRow)[];
export const CONTAINER_COLUMNS = [
  'task_id',
  'idx',
  'id',
  'name',
  'image',
  'status',
  'runtime_id',
  'exit_code',
  'reason',
  'network_bindings_json',
  'health_status',
  'essential',
  'has_health_check',
  'cpu',
  'memory',
  'memory_reservation',
] as const satisfies readonly (keyof ContainerRow)[];
type Unlisted = Exclude<keyof TaskRow, (typeof TASK_COLUMNS)[number]> | Exclude<keyof ContainerRow, (typeof CONTAINER_COLUMNS)[number]>;
/** Fails to compile while a row type has a member its list does not name (the member would never be read). */
const EVERY_COLUMN_LISTED: [Unlisted] extends [never] ? true : never = true;

/**
 * A row packed by SQLite into one JSON array of its columns' values
 * (`SELECT ${packedRow(columns)} AS packed`), and the row object `SELECT *`
 * gives made again from it (unpackRow). better-sqlite3 builds a row's object
 * property by property, which cost more than the query itself: ~1 ms of the
 * 1.8 ms reading a DescribeTasks' 100 tasks with their containers took; one
 * JSON.parse and a loop over the column names build the same object in a
 * fraction of that. SQLite's JSON keeps every value as better-sqlite3 gives
 * it (text, integers, doubles to the last bit; NULL as null); neither table
 * has a BLOB column, which JSON cannot hold.
 */
export function packedRow(columns: readonly string[]): string {
  return `json_array(${columns.join(', ')})`;
}

export function unpackRow<R>(columns: readonly string[], packed: string): R {
  const values = JSON.parse(packed) as unknown[];
  const row: Record<string, unknown> = {};
  for (let k = 0; k < columns.length; k++) row[columns[k]!] = values[k];
  return row as R;
}

/** A task plus the bookkeeping the dispatcher needs. */
export interface StoredTask extends Task {
  /** Insertion order, the paging key of ListTasks. */
  seq: number;
}

/** core's TASK_TIMESTAMPS and their columns: the one place the store names them. */
export const TIMESTAMP_COLUMNS = {
  createdAt: 'created_at',
  connectivityAt: 'connectivity_at',
  pullStartedAt: 'pull_started_at',
  pullStoppedAt: 'pull_stopped_at',
  startedAt: 'started_at',
  stoppingAt: 'stopping_at',
  executionStoppedAt: 'execution_stopped_at',
  stoppedAt: 'stopped_at',
} as const satisfies Record<TaskTimestamp, keyof TaskRow>;
const TIMESTAMP_COLUMN_LIST = TASK_TIMESTAMPS.map((k) => TIMESTAMP_COLUMNS[k]).join(', ');
const TIMESTAMP_PARAM_LIST = TASK_TIMESTAMPS.map((k) => `@${k}`).join(', ');

function timestampParams(t: Task): Record<TaskTimestamp, number | null> {
  const out = {} as Record<TaskTimestamp, number | null>;
  for (const k of TASK_TIMESTAMPS) out[k] = t[k] ?? null;
  return out;
}

function opt<T>(target: Record<string, unknown>, key: string, v: T | null): void {
  if (v !== null) target[key] = v;
}

export function toContainer(r: ContainerRow): TaskContainer {
  const c: TaskContainer = {
    id: r.id,
    name: r.name,
    image: r.image,
    status: r.status as ContainerStatus,
    networkBindings: JSON.parse(r.network_bindings_json) as TaskContainer['networkBindings'],
    healthStatus: r.health_status as HealthStatus,
    essential: r.essential === 1,
    hasHealthCheck: r.has_health_check === 1,
  };
  const o = c as unknown as Record<string, unknown>;
  opt(o, 'runtimeId', r.runtime_id);
  opt(o, 'exitCode', r.exit_code);
  opt(o, 'reason', r.reason);
  opt(o, 'cpu', r.cpu);
  opt(o, 'memory', r.memory);
  opt(o, 'memoryReservation', r.memory_reservation);
  return c;
}

/** A task without its containers: what placement and reconciliation read. */
export interface TaskSummary {
  id: string;
  clusterName: string;
  containerInstanceId?: string;
  group: string;
  lastStatus: TaskStatus;
  desiredStatus: DesiredStatus;
  healthStatus: HealthStatus;
  cpu: number;
  memory: number;
  hostPorts: Task['hostPorts'];
  startedBy?: string;
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stopCode?: TaskStopCode;
  stoppedReason?: string;
  /** An essential container has a health check. */
  checked: boolean;
  /** FARGATE/FARGATE_SPOT: a service spreads its tasks over its strategy by these. */
  capacityProviderName?: string;
  /** What its agent was last sent of it (the pushes diff on it, kept here so they need no query). */
  assignmentVersion: number;
}

export interface SummaryRow {
  id: string;
  cluster: string;
  container_instance_id: string | null;
  grp: string;
  last_status: string;
  desired_status: string;
  health_status: string;
  cpu: number;
  memory: number;
  host_ports_json: string;
  started_by: string | null;
  created_at: number;
  started_at: number | null;
  stopped_at: number | null;
  stop_code: string | null;
  stopped_reason: string | null;
  checked: number;
  capacity_provider_name: string | null;
  assignment_version: number;
}

export const SUMMARY_SELECT = `SELECT t.id, t.cluster, t.container_instance_id, t.grp, t.last_status, t.desired_status, t.health_status, t.cpu, t.memory,
  t.host_ports_json, t.started_by, t.created_at, t.started_at, t.stopped_at, t.stop_code, t.stopped_reason, t.assignment_version,
  json_extract(t.launch_json, '$.capacityProviderName') AS capacity_provider_name,
  EXISTS(SELECT 1 FROM containers c WHERE c.task_id = t.id AND c.essential = 1 AND c.has_health_check = 1) AS checked FROM tasks t`;

export function toSummary(r: SummaryRow): TaskSummary {
  const s: TaskSummary = {
    id: r.id,
    clusterName: r.cluster,
    group: r.grp,
    lastStatus: r.last_status as TaskStatus,
    desiredStatus: r.desired_status as DesiredStatus,
    healthStatus: r.health_status as HealthStatus,
    cpu: r.cpu,
    memory: r.memory,
    hostPorts: r.host_ports_json === '[]' ? [] : (JSON.parse(r.host_ports_json) as Task['hostPorts']),
    createdAt: r.created_at,
    checked: r.checked === 1,
    assignmentVersion: r.assignment_version,
  };
  const o = s as unknown as Record<string, unknown>;
  opt(o, 'containerInstanceId', r.container_instance_id);
  opt(o, 'startedBy', r.started_by);
  opt(o, 'startedAt', r.started_at);
  opt(o, 'stoppedAt', r.stopped_at);
  opt(o, 'stopCode', r.stop_code);
  opt(o, 'stoppedReason', r.stopped_reason);
  opt(o, 'capacityProviderName', r.capacity_provider_name);
  return s;
}

export function summarize(t: Task): TaskSummary {
  const s: TaskSummary = {
    id: t.id,
    clusterName: t.clusterName,
    group: t.group,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: t.healthStatus,
    cpu: t.cpu,
    memory: t.memory,
    hostPorts: t.hostPorts,
    createdAt: t.createdAt,
    checked: t.containers.some((c) => c.essential && c.hasHealthCheck),
    assignmentVersion: t.assignmentVersion,
  };
  if (t.containerInstanceId !== undefined) s.containerInstanceId = t.containerInstanceId;
  if (t.startedBy !== undefined) s.startedBy = t.startedBy;
  if (t.startedAt !== undefined) s.startedAt = t.startedAt;
  if (t.stoppedAt !== undefined) s.stoppedAt = t.stoppedAt;
  if (t.stopCode !== undefined) s.stopCode = t.stopCode;
  if (t.stoppedReason !== undefined) s.stoppedReason = t.stoppedReason;
  if (t.capacityProviderName !== undefined) s.capacityProviderName = t.capacityProviderName;
  return s;
}

/** A task row and its containers' (in order) as the task they store. */
export function taskFromRow(r: TaskRow, containers: TaskContainer[]): StoredTask {
  const t: StoredTask = {
    id: r.id,
    clusterName: r.cluster,
    taskDefinitionArn: r.task_definition_arn,
    family: r.family,
    revision: r.revision,
    lastStatus: r.last_status as TaskStatus,
    desiredStatus: r.desired_status as DesiredStatus,
    healthStatus: r.health_status as HealthStatus,
    cpu: r.cpu,
    memory: r.memory,
    hostPorts: JSON.parse(r.host_ports_json) as Task['hostPorts'],
    group: r.grp,
    version: r.version,
    assignmentVersion: r.assignment_version,
    overrides: JSON.parse(r.overrides_json) as Task['overrides'],
    tags: JSON.parse(r.tags_json) as Task['tags'],
    launchType: r.launch_type === 'FARGATE' || r.launch_type === 'EXTERNAL' ? r.launch_type : 'EC2',
    ...(r.launch_json === null ? {} : (JSON.parse(r.launch_json) as LaunchDetails)),
    ...(r.provisioning_json === null ? {} : { provisioning: JSON.parse(r.provisioning_json) as NonNullable<Task['provisioning']> }),
    createdAt: r.created_at,
    containers,
    seq: r.seq,
  };
  const o = t as unknown as Record<string, unknown>;
  opt(o, 'containerInstanceId', r.container_instance_id);
  opt(o, 'startedBy', r.started_by);
  opt(o, 'stopCode', r.stop_code as TaskStopCode | null);
  opt(o, 'stoppedReason', r.stopped_reason);
  for (const k of TASK_TIMESTAMPS) opt(o, k, r[TIMESTAMP_COLUMNS[k]]);
  return t;
}

export const INSERT_TASK = `INTO tasks(id, cluster, task_definition_arn, family, revision, container_instance_id, last_status, desired_status,
    health_status, cpu, memory, host_ports_json, started_by, grp, version, assignment_version, stop_code, stopped_reason,
    overrides_json, tags_json, ${TIMESTAMP_COLUMN_LIST}, seq, launch_type, launch_json, provisioning_json)
  VALUES (@id, @cluster, @tdArn, @family, @revision, @instanceId, @lastStatus, @desiredStatus, @health, @cpu, @memory, @hostPorts,
    @startedBy, @grp, @version, @assignmentVersion, @stopCode, @stoppedReason, @overrides, @tags, ${TIMESTAMP_PARAM_LIST},
    @seq, @launchType, @launchJson, @provisioningJson)`;

export const INSERT_CONTAINERS = `INSERT INTO containers(task_id, idx, id, name, image, status, runtime_id, exit_code, reason, network_bindings_json, health_status,
    essential, has_health_check, cpu, memory, memory_reservation) VALUES`;
export const CONTAINER_VALUES = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

export function taskParams(t: StoredTask): Record<string, unknown> {
  return {
    id: t.id,
    cluster: t.clusterName,
    tdArn: t.taskDefinitionArn,
    family: t.family,
    revision: t.revision,
    instanceId: t.containerInstanceId ?? null,
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    health: t.healthStatus,
    cpu: t.cpu,
    memory: t.memory,
    hostPorts: JSON.stringify(t.hostPorts),
    startedBy: t.startedBy ?? null,
    grp: t.group,
    version: t.version,
    assignmentVersion: t.assignmentVersion,
    stopCode: t.stopCode ?? null,
    stoppedReason: t.stoppedReason ?? null,
    overrides: JSON.stringify(t.overrides),
    tags: JSON.stringify(t.tags),
    ...timestampParams(t),
    seq: t.seq,
    launchType: t.launchType,
    launchJson: launchDetails(t),
    provisioningJson: t.provisioning ? JSON.stringify(t.provisioning) : null,
  };
}
