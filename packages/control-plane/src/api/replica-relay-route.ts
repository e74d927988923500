import type * as http from 'node:http';
import { isStevedoreError } from '@stevedore/core';
import type { Logger } from 'pino';
import { RELAY_LOGS_PATH, RELAY_SIGNATURE_HEADER, verifyRelay, type RelayedLogRequest } from '../relay/replica-relay';
import type { LogBroker } from '../logs/log-broker';
import type { ExecRelay } from '../exec/exec-relay';
import { grantRelayed, RELAY_EXEC_GRANT_PATH } from '../exec/exec-grant-relay';
import { StreamingResponse } from './actions/logs';
import { writeLogResponse } from './log-response';

const MAX_RELAY_BODY_BYTES = 16 * 1024;

/** The POST routes of the replica hop, served by replicaRelayRoute. */
export const RELAY_POST_PATHS: ReadonlySet<string> = new Set([RELAY_LOGS_PATH, RELAY_EXEC_GRANT_PATH]);

/**
 * The holder's side of the replica relay (relay/replica-relay.ts), for
 * another replica that has already authorized its caller: opens a log
 * stream on an agent session this replica holds (RELAY_LOGS_PATH), or
 * creates an ECS Exec session for it (RELAY_EXEC_GRANT_PATH). Only a request
 * signed with the replicas' relay key is served; anything else gets
 * AccessDeniedException and opens nothing.
 */
export function replicaRelayRoute(key: Buffer | undefined, logs: LogBroker, exec: ExecRelay, log: Logger, now: () => number): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_RELAY_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('error', () => undefined);
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const sig = req.headers[RELAY_SIGNATURE_HEADER];
      if (tooLarge || key === undefined || !verifyRelay(key, body, typeof sig === 'string' ? sig : undefined, now())) {
        refuse(res, 403, 'AccessDeniedException', 'This route serves other control-plane replicas only; the request is not signed with the replica relay key.');
        return;
      }
      if (req.url === RELAY_EXEC_GRANT_PATH) {
        let answer: { status: number; json: Record<string, unknown> };
        try {
          answer = grantRelayed(exec, body, log);
        } catch (e) {
          log.error({ err: e }, 'a relayed execute command grant failed');
          answer = { status: 500, json: { __type: 'ServerException', message: 'The execute command session could not be created.' } };
        }
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json));
        return;
      }
      let r: RelayedLogRequest;
      try {
        r = JSON.parse(body) as RelayedLogRequest;
        if (typeof r?.instanceId !== 'string' || typeof r.query?.taskArn !== 'string') throw new Error('bad shape');
      } catch {
        refuse(res, 400, 'InvalidParameterException', 'Malformed relayed log request.');
        return;
      }
      let stream;
      try {
        stream = logs.open(r.instanceId, r.query);
      } catch (e) {
        if (isStevedoreError(e)) refuse(res, 400, e.code, e.message);
        else refuse(res, 500, 'ServerException', 'The log stream could not be opened.');
        return;
      }
      if (!stream) {
        refuse(res, 400, 'ClientException', "The agent of the task's container instance is not connected; logs are unavailable.");
        return;
      }
      writeLogResponse(req, res, new StreamingResponse(stream, r.query.follow ? 0 : 30_000));
    });
  };
}

function refuse(res: http.ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ __type: code, message }));
}
