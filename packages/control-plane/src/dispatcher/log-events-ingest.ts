import { awslogsConfigOf, awslogsStreamName, idOf, isStevedoreError, StevedoreError, type ArnContext } from '@stevedore/core';
import type { PutLogEventsRequest, WireLogBatchResult } from '@stevedore/proto';
import type { Store } from '../store/store';
import { checkBatch, groupFor, storeEvents } from '../logs/log-ingest';
import { executionRoleDenial, executionRoleOf } from './execution-role';

/** Batches one PutLogEvents call carries at most (each within CloudWatch's own quotas). */
export const MAX_BATCHES_PER_CALL = 64;

/** The call is refused as a whole: gRPC status and details. */
export class IngestRefusal extends Error {
  constructor(readonly grpcCode: 'INVALID_ARGUMENT' | 'PERMISSION_DENIED', message: string) {
    super(message);
  }
}

/**
 * Applies an agent's PutLogEvents (proto contract): every batch must be for
 * a task of the calling instance, a container of it using awslogs, and the
 * group, stream and create-group its task definition gives; so a host can
 * only ever write where its own tasks' definitions say, never into another
 * group or another task's stream. Each batch is its own transaction (one
 * missing group does not undo the others); results are positional.
 */
export function ingestAgentLogEvents(store: Store, arn: ArnContext, instanceId: string, req: PutLogEventsRequest, now: number): WireLogBatchResult[] {
  const batches = req.batches ?? [];
  if (batches.length > MAX_BATCHES_PER_CALL) throw new IngestRefusal('INVALID_ARGUMENT', `batches: at most ${MAX_BATCHES_PER_CALL} per call`);
  // Everything is checked before anything is written: a refused call stores nothing.
  const checked = batches.map((b, i) => {
    const field = `batches[${i}]`;
    const task = store.tasks.get(idOf(String(b.task_arn ?? '').slice(0, 2048)));
    if (!task) return { error: new StevedoreError('ResourceNotFoundException', `${field}: the task is not known (it may have been deleted after it stopped)`) };
    if (task.containerInstanceId !== instanceId) throw new IngestRefusal('PERMISSION_DENIED', `${field}: task ${task.id} is not assigned to instance ${instanceId}`);
    const container = task.containers.find((c) => c.name === b.container_name);
    const td = store.taskDefinitions.get(task.family, task.revision)?.taskDefinition;
    const def = td?.containerDefinitions.find((c) => c.name === b.container_name);
    const cfg = awslogsConfigOf(def?.logConfiguration);
    if (!container || !cfg) throw new IngestRefusal('PERMISSION_DENIED', `${field}: container '${String(b.container_name).slice(0, 255)}' of task ${task.id} does not use awslogs`);
    const expected = cfg.streamPrefix ? awslogsStreamName(cfg.streamPrefix, container.name, task.id, '') : undefined;
    const streamOk = expected !== undefined ? b.log_stream === expected : /^[0-9a-f]{64}$/.test(b.log_stream) && (container.runtimeId === undefined || container.runtimeId === b.log_stream);
    if (b.log_group !== cfg.group || !streamOk || b.create_group !== cfg.createGroup) {
      throw new IngestRefusal('PERMISSION_DENIED', `${field}: log group, stream or create-group differ from the task definition's awslogs options`);
    }
    const events = (b.events ?? []).map((e) => ({ timestamp: Number(e.timestamp), message: String(e.message ?? '') }));
    try {
      checkBatch(events, `${field}.events`);
    } catch (e) {
      throw new IngestRefusal('INVALID_ARGUMENT', (e as Error).message);
    }
    // Written as the task's execution role, as ECS's agent writes them: its policy decides now.
    const executionRoleArn = task.overrides.executionRoleArn ?? td?.executionRoleArn;
    if (executionRoleArn !== undefined) {
      const denied = executionRoleDenied(store, arn, executionRoleArn, task.id, cfg.group, b.log_stream, cfg.createGroup);
      if (denied) return { error: new StevedoreError('AccessDeniedException', denied) };
    }
    return { batch: b, events, cfg };
  });
  return checked.map((c): WireLogBatchResult => {
    if ('error' in c) return { error_code: c.error!.code, error_message: c.error!.message };
    try {
      store.tx(() => {
        const g = groupFor(store, c.batch.log_group, c.cfg.createGroup, now);
        store.logStore.createStream(g.id, c.batch.log_stream, now);
        storeEvents(store, g, store.logStore.getStream(g.id, c.batch.log_stream)!, c.events, now);
      });
      return { error_code: '', error_message: '' };
    } catch (e) {
      if (isStevedoreError(e)) return { error_code: e.code, error_message: e.message };
      throw e;
    }
  });
}

/** Why the execution role may not write this stream (CreateLogGroup with create-group, CreateLogStream, PutLogEvents), or undefined. */
function executionRoleDenied(store: Store, arn: ArnContext, ref: string, taskId: string, group: string, stream: string, createGroup: boolean): string | undefined {
  const role = executionRoleOf(store, arn, ref, taskId);
  if ('error' in role) return role.error;
  const groupArn = `arn:aws:logs:${arn.region}:${arn.account}:log-group:${group}`;
  const needs: [string, string][] = [
    ...(createGroup ? [['logs:CreateLogGroup', groupArn] as [string, string]] : []),
    ['logs:CreateLogStream', groupArn],
    ['logs:PutLogEvents', `${groupArn}:log-stream:${stream}`],
  ];
  for (const [action, resource] of needs) {
    const denial = executionRoleDenial(role, action, resource);
    // The agent prefixes the error type itself (error_code): keep only IAM's sentence.
    if (denial) return denial.replace(/^AccessDeniedException: /, '');
  }
  return undefined;
}
