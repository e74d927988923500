import type * as grpc from '@grpc/grpc-js';
import type { ExecFrame } from '@stevedore/proto';
import { ExecRefusal, type ExecRelay } from '../exec/exec-relay';
import { status } from './grpc-errors';

/**
 * ExecSession (proto contract): one ECS Exec session's agent end. The first
 * frame names the session, which must have been sent to the caller's
 * instance; later frames go to the relay, which also writes the client's
 * input to this call. `refuse` ends the call with a status (and logs it).
 */
export function serveExecSession(
  relay: ExecRelay,
  instanceId: string,
  call: grpc.ServerDuplexStream<ExecFrame, ExecFrame>,
  refuse: (code: status, details: string) => void,
): void {
  let feed: ((f: ExecFrame) => void) | undefined;
  let sessionId = '';
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    try {
      call.end();
    } catch {
      // already gone
    }
  };
  call.on('data', (f: ExecFrame) => {
    if (feed) return feed(f);
    if (ended) return;
    if (!f.session_id) {
      ended = true;
      return refuse(status.INVALID_ARGUMENT, 'the first frame must name the exec session');
    }
    try {
      sessionId = f.session_id;
      feed = relay.attachAgent(f.session_id, instanceId, {
        write: (frame) => (ended ? false : call.write(frame)),
        end,
        pause: () => call.pause(),
        resume: () => call.resume(),
      });
    } catch (e) {
      ended = true;
      refuse(e instanceof ExecRefusal && e.code === 'PERMISSION_DENIED' ? status.PERMISSION_DENIED : status.NOT_FOUND, (e as Error).message);
    }
  });
  const gone = () => {
    if (feed) relay.agentGone(sessionId);
    end();
  };
  call.on('end', gone);
  call.on('error', gone);
  call.on('cancelled', gone);
}
