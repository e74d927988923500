import type { LogConfiguration } from '../model/task-definition';

/**
 * The awslogs driver's options as the agent applies them (ECS: the Docker
 * awslogs driver's options). The agent runs the container on json-file and
 * ships what it reads, so these describe where lines go and how they group.
 */
export interface AwslogsConfig {
  group: string;
  /** Empty: the stream is named after the Docker container id, as ECS does on EC2 without a prefix. */
  streamPrefix: string;
  createGroup: boolean;
  region: string;
  /** strftime format whose match starts a new event (awslogs-datetime-format). */
  datetimeFormat?: string;
  /** Regular expression whose match starts a new event (awslogs-multiline-pattern). */
  multilinePattern?: string;
  /**
   * blocking (Docker's default): at `maxBufferBytes` the agent stops reading
   * the container's json-file until deliveries catch up, and drops nothing.
   * non-blocking: it keeps reading and drops (and counts) events that do
   * not fit, as Docker's ring buffer does.
   */
  mode: 'blocking' | 'non-blocking';
  /** Bytes of read-but-undelivered events the agent holds per container (max-buffer-size, non-blocking only; 1 MiB otherwise). */
  maxBufferBytes: number;
}

/** Docker's default max-buffer-size for non-blocking mode (1 MiB); used for blocking mode too, as the agent's bound. */
export const DEFAULT_AWSLOGS_BUFFER_BYTES = 1024 * 1024;

/** The awslogs config of a logConfiguration, or undefined for other drivers. Assumes validated options. */
export function awslogsConfigOf(log: LogConfiguration | undefined): AwslogsConfig | undefined {
  if (log?.logDriver !== 'awslogs') return undefined;
  const o = new Map(Object.entries(log.options ?? {}));
  const cfg: AwslogsConfig = {
    group: o.get('awslogs-group') ?? '',
    streamPrefix: o.get('awslogs-stream-prefix') ?? '',
    createGroup: o.get('awslogs-create-group') === 'true',
    region: o.get('awslogs-region') ?? '',
    mode: o.get('mode') === 'non-blocking' ? 'non-blocking' : 'blocking',
    maxBufferBytes: parseByteSize(o.get('max-buffer-size') ?? '') ?? DEFAULT_AWSLOGS_BUFFER_BYTES,
  };
  const dt = o.get('awslogs-datetime-format');
  const ml = o.get('awslogs-multiline-pattern');
  if (dt !== undefined) cfg.datetimeFormat = dt;
  if (ml !== undefined) cfg.multilinePattern = ml;
  return cfg;
}

/**
 * ECS's stream name: `prefix/container-name/task-id` with a prefix; without
 * one, the Docker container id (ECS on EC2).
 */
export function awslogsStreamName(prefix: string, containerName: string, taskId: string, runtimeId: string): string {
  return prefix ? `${prefix}/${containerName}/${taskId}` : runtimeId;
}

/**
 * Docker's size syntax (go-units `RAMInBytes`, which Docker applies to
 * `max-size` and `max-buffer-size`): a number, decimals allowed, an optional
 * single space, an optional binary unit k/m/g/t/p in any case, optional `i`
 * and `b` (`1m`, `512k`, `10mb`, `1.5 MiB`, `1048576`), in bytes rounded
 * down; undefined when not one.
 */
export function parseByteSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(v);
  if (!m) return undefined;
  const unit = 1024 ** ' kmgtp'.indexOf((m[2] ?? ' ').toLowerCase());
  const bytes = Math.trunc(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}
