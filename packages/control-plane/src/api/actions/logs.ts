import { arns, awslogsConfigOf, idOf, InvalidParameterException, StevedoreError } from '@stevedore/core';
import { openStoreTail } from '../../logs/store-tail';
import type { ApiContext } from '../context';
import { Params } from '../params';
import { requireCluster } from '../lookups';
import type { LogStream } from '../../logs/log-broker';

/** Lines a read returns when the request names no tail (docker logs --tail, but with a default). */
export const DEFAULT_LOG_TAIL = 1000;
/**
 * Data bytes one non-follow read returns at most (1 MiB); past it the
 * response ends with a `truncated` line. Follows have no cap: they stream
 * under backpressure for as long as the reader reads.
 */
export const MAX_LOG_RESPONSE_BYTES = 1024 * 1024;

/** A response the server streams as NDJSON instead of one JSON document. */
export class StreamingResponse {
  constructor(readonly stream: LogStream, readonly idleTimeoutMs: number) {}
}

/**
 * Stevedore_20261125.GetTaskLogs: a container's stdout/stderr, read from the
 * agent of the task's instance and streamed back as it arrives. Bounded
 * (docs/design/retention-and-limits.md): the last DEFAULT_LOG_TAIL lines
 * unless `tail` says otherwise (0 = every line), at most
 * MAX_LOG_RESPONSE_BYTES per non-follow read, and a limited number of
 * streams per container instance (LimitExceededException beyond it).
 * A follow of an awslogs container tails the log store instead. When
 * another replica holds the agent's session, the read is relayed to it.
 */
export async function getTaskLogs(ctx: ApiContext, body: unknown): Promise<StreamingResponse> {
  const p = Params.of(body);
  const cluster = requireCluster(ctx, p);
  const ref = p.requiredString('task', { max: 2048 });
  const containerName = p.string('containerName', { max: 255 });
  const follow = p.boolean('follow') ?? false;
  const tail = p.integer('tail', { min: 0, max: 1_000_000 }) ?? DEFAULT_LOG_TAIL;
  const startTime = p.integer('startTime', { min: 0 });
  const timestamps = p.boolean('timestamps') ?? false;
  const t = ctx.store.tasks.get(idOf(ref));
  if (!t || t.clusterName !== cluster.name) throw new InvalidParameterException('The referenced task was not found.', 'task');
  let name = containerName;
  if (name === undefined) {
    if (t.containers.length !== 1) {
      throw new InvalidParameterException(`containerName is required: the task has containers ${t.containers.map((c) => c.name).join(', ')}.`, 'containerName');
    }
    name = t.containers[0]!.name;
  } else if (!t.containers.some((c) => c.name === name)) {
    throw new InvalidParameterException(`The task has no container named '${name}'.`, 'containerName');
  }
  // awslogs: a follow tails the log store (what `aws logs tail --follow` shows), even while the agent is away.
  const def = ctx.store.taskDefinitions.get(t.family, t.revision)?.taskDefinition.containerDefinitions.find((c) => c.name === name);
  const awslogs = awslogsConfigOf(def?.logConfiguration);
  if (follow && awslogs) {
    return new StreamingResponse(openStoreTail(ctx.store, { taskId: t.id, containerName: name, cfg: awslogs, tail, sinceMs: startTime === undefined ? 0 : startTime * 1000, timestamps }), 0);
  }
  if (!t.containerInstanceId) throw new InvalidParameterException('The task was never placed on a container instance.', 'task');
  const query = {
    taskArn: arns.task(ctx.arn, t.clusterName, t.id),
    containerName: name,
    follow,
    tail,
    sinceMs: startTime === undefined ? 0 : startTime * 1000,
    timestamps,
    maxBytes: follow ? 0 : MAX_LOG_RESPONSE_BYTES,
  };
  // The caller is authorized here; another replica holding the agent's session serves the stream (relay/replica-relay.ts).
  const stream = ctx.logs.open(t.containerInstanceId, query) ?? (await ctx.relay?.openLogs(t.containerInstanceId, query));
  if (!stream) {
    throw new StevedoreError('ClientException', 'The agent of the task\'s container instance is not connected; logs are unavailable.', { retryable: true });
  }
  return new StreamingResponse(stream, follow ? 0 : 30_000);
}
