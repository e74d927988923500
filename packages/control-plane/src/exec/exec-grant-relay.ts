import type { Logger } from 'pino';
import { StevedoreError, type EcsErrorCode } from '@stevedore/core';
import { readRelayError, type ReplicaRelay } from '../relay/replica-relay';
import { ExecRefusal, type ExecGrant, type ExecRelay } from './exec-relay';

/**
 * ExecuteCommand through any replica (docs/design/ecs-exec.md, "Across
 * replicas"). The replica the client called authorizes it (the caller's
 * policy, enableExecuteCommand, the task's state) as for a local session;
 * when another replica holds the agent's gRPC session, it asks that one, over
 * the signed replica hop, to create the session: the holder is where the
 * agent's ExecSession call will arrive. The hop carries the grant only (the
 * task, container, instance and argv, and who asked, for the audit lines);
 * the holder answers the session id and token, which the calling replica
 * hands to its client with a streamUrl on its own endpoint.
 */

/** The holder's route for grants (POST, signed like every hop). */
export const RELAY_EXEC_GRANT_PATH = '/internal/replica/v1/exec-sessions';

export interface RelayedExecGrant {
  grant: ExecGrant;
}

const notConnected = (message: string) => new StevedoreError('TargetNotConnectedException', message, { retryable: true });

/**
 * The session created on the replica holding `grant.instanceId`'s agent
 * session; undefined when no other live replica holds it. Throws the
 * holder's refusal (not connected after all, LimitExceededException) or
 * TargetNotConnectedException when it cannot be reached.
 */
export async function relayExecGrant(relay: ReplicaRelay, grant: ExecGrant, log: Logger): Promise<{ sessionId: string; token: string; holder: string } | undefined> {
  const holder = relay.holderOf(grant.instanceId, notConnected);
  if (!holder) return undefined;
  const res = await relay.post(new URL(RELAY_EXEC_GRANT_PATH, holder.endpoint), JSON.stringify({ grant } satisfies RelayedExecGrant)).catch((e: Error) => {
    log.warn({ instance: grant.instanceId, holder: holder.id, endpoint: holder.endpoint.href, error: e.message }, 'relaying an execute command grant to the replica holding the agent session failed');
    throw notConnected(`The agent of the task's container instance is connected to replica ${holder.id}, which could not be reached. Try again later.`);
  });
  if (res.statusCode !== 200) {
    const err = await readRelayError(res);
    if (err.code === 'AccessDeniedException') log.error({ instance: grant.instanceId, holder: holder.id }, 'the replica holding the agent session refused the relay key: are keys/master.key the same on every replica?');
    const code: EcsErrorCode = err.code === 'LimitExceededException' ? 'LimitExceededException' : 'TargetNotConnectedException';
    throw new StevedoreError(code, err.message, { retryable: true });
  }
  const body = await readJson(res);
  if (typeof body?.['sessionId'] !== 'string' || typeof body['tokenValue'] !== 'string') throw notConnected(`Replica ${holder.id} answered the execute command grant without a session.`);
  return { sessionId: body['sessionId'], token: body['tokenValue'], holder: holder.id };
}

/** The holder's side: a grant from a verified hop becomes a session here. Returns the HTTP status and JSON body to answer. */
export function grantRelayed(exec: ExecRelay, body: string, log: Logger): { status: number; json: Record<string, unknown> } {
  const grant = parseGrant(body);
  if (!grant) return { status: 400, json: { __type: 'InvalidParameterException', message: 'Malformed relayed execute command grant.' } };
  if (!exec.connected(grant.instanceId)) {
    return { status: 400, json: { __type: 'TargetNotConnectedException', message: "The container instance's agent is no longer connected to the replica that held its session. Try again." } };
  }
  try {
    const s = exec.create(grant);
    log.info({ cluster: grant.cluster, task: grant.taskArn, container: grant.containerName, accessKeyId: grant.accessKeyId, execSession: s.sessionId }, 'execute command session granted for another replica');
    return { status: 200, json: { sessionId: s.sessionId, tokenValue: s.token } };
  } catch (e) {
    if (e instanceof ExecRefusal) return { status: 400, json: { __type: 'LimitExceededException', message: e.message } };
    throw e;
  }
}

const STRING_FIELDS = ['cluster', 'taskId', 'taskArn', 'containerName', 'instanceId', 'accessKeyId', 'principal'] as const;

function parseGrant(body: string): ExecGrant | undefined {
  let v: unknown;
  try {
    v = (JSON.parse(body) as { grant?: unknown })?.grant;
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== 'object') return undefined;
  const g = v as Record<string, unknown>;
  for (const f of STRING_FIELDS) if (typeof g[f] !== 'string' || (g[f] as string).length > 2048) return undefined;
  const command = g['command'];
  if (!Array.isArray(command) || command.length === 0 || command.length > 1024 || !command.every((w) => typeof w === 'string')) return undefined;
  const s = (k: (typeof STRING_FIELDS)[number]) => g[k] as string;
  return { cluster: s('cluster'), taskId: s('taskId'), taskArn: s('taskArn'), containerName: s('containerName'), instanceId: s('instanceId'), command: command as string[], accessKeyId: s('accessKeyId'), principal: s('principal') };
}

function readJson(res: import('node:http').IncomingMessage): Promise<Record<string, unknown> | undefined> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (text.length < 64 * 1024) text += c;
    });
    res.on('end', () => {
      try {
        const v = JSON.parse(text) as unknown;
        resolve(v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined);
      } catch {
        resolve(undefined);
      }
    });
    res.on('error', () => resolve(undefined));
  });
}
