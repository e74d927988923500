import type * as grpc from '@grpc/grpc-js';
import type { LogChunk, PushLogsResponse } from '@stevedore/proto';
import type { LogBroker } from '../logs/log-broker';
import { grpcError, status } from './grpc-errors';

/**
 * PushLogs (proto contract): pipes one agent's answer to a log request into
 * the API reader waiting for it. The request must have been sent to the
 * caller's instance. Flow control is end to end: a slow reader pauses this
 * call, and HTTP/2 then stops the agent's writes (and its Docker reads).
 */
export function servePushLogs(logs: LogBroker, instanceId: string, call: grpc.ServerReadableStream<LogChunk, PushLogsResponse>, cb: grpc.sendUnaryData<PushLogsResponse>): void {
  let stream: ReturnType<LogBroker['get']>;
  let finished = false;
  let agentEnded = false;
  const finish = (err?: Partial<grpc.ServiceError>) => {
    if (finished) return;
    finished = true;
    if (err) cb(err);
    else cb(null, {});
  };
  call.on('data', (chunk: LogChunk) => {
    if (!stream) {
      stream = logs.get(chunk.request_id);
      if (!stream) return finish(grpcError(status.NOT_FOUND, 'unknown or closed log request'));
      if (stream.instanceId !== instanceId) {
        stream = undefined;
        return finish(grpcError(status.PERMISSION_DENIED, 'the log request was sent to another container instance'));
      }
      stream.once('cancel', () => finish(grpcError(status.CANCELLED, 'log reader went away')));
      // Ended here (byte cap, idle reader timeout): the agent must stop too.
      stream.once('end', () => agentEnded || finish(grpcError(status.CANCELLED, 'log stream ended by the control plane')));
      // Backpressure: a slow reader stops this call being read, and HTTP/2
      // flow control then stops the agent's writes (and its Docker reads).
      stream.on('pause', () => call.pause());
      stream.on('resume', () => call.resume());
      if (stream.paused) call.pause();
    }
    if (stream.cancelled) return finish(grpcError(status.CANCELLED, 'log reader went away'));
    if (chunk.data.length > 0) stream.push(chunk.stream === 'stderr' ? 'stderr' : 'stdout', chunk.data);
    if (chunk.error || chunk.truncated) {
      agentEnded = true;
      stream.end(chunk.error ? { error: chunk.error } : { truncated: true });
    }
  });
  call.on('end', () => {
    agentEnded = true;
    stream?.end();
    finish();
  });
  call.on('error', () => {
    agentEnded = true;
    stream?.end({ error: 'the agent log stream failed' });
    finish();
  });
}
