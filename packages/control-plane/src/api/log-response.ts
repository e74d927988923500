import type * as http from 'node:http';
import type { StreamingResponse } from './actions/logs';
import type { LogChunkOut, LogEnd } from '../logs/log-broker';

/**
 * Writes a log stream as NDJSON: one `{"stream","data"}` line per chunk, then
 * on a non-follow read cut at its byte cap a `{"truncated":true,...}` line,
 * or an error line (`__type`, `message`) when the logs failed. Backpressure:
 * when the client does not read, the response's buffer fills, `write`
 * returns false and the stream is paused (which stops reading the agent's
 * gRPC call) until the response drains, so a slow reader costs a bounded
 * amount of memory, not the container's whole output.
 */
export function writeLogResponse(req: http.IncomingMessage, res: http.ServerResponse, r: StreamingResponse): void {
  const { stream } = r;
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  // The reader learns the stream is open before the first line (a quiet follow may have none for a while).
  res.flushHeaders();
  let idle: NodeJS.Timeout | undefined;
  // The idle deadline is for an agent that stops sending, not for a reader that stops reading.
  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = undefined;
    if (r.idleTimeoutMs <= 0 || stream.paused) return;
    idle = setTimeout(() => stream.end({ error: 'the agent stopped sending logs' }), r.idleTimeoutMs);
  };
  armIdle();
  stream.on('data', (c: LogChunkOut) => {
    if (!res.write(JSON.stringify(c) + '\n')) {
      stream.pause();
      armIdle();
    } else armIdle();
  });
  res.on('drain', () => {
    stream.resume();
    armIdle();
  });
  stream.on('end', (how: LogEnd) => {
    if (idle) clearTimeout(idle);
    if (how.truncated) {
      res.write(JSON.stringify({ truncated: true, message: truncationNotice(stream.maxBytes) }) + '\n');
    } else if (how.error) {
      // An agent's refusal names its error type ("LimitExceededException: ..."); anything else is a ClientException.
      const m = /^([A-Za-z]+Exception): (.*)$/s.exec(how.error);
      res.write(JSON.stringify(m ? { __type: m[1], message: m[2] } : { __type: 'ClientException', message: how.error }) + '\n');
    }
    res.end();
  });
  res.on('close', () => {
    if (idle) clearTimeout(idle);
    if (!stream.ended) stream.cancel();
  });
  req.resume();
}

export function truncationNotice(maxBytes: number): string {
  return `Log output truncated at ${maxBytes} bytes, the limit of one GetTaskLogs response. Ask for fewer lines (tail) or a later startTime to read the rest.`;
}
