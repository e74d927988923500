import type { ExecRequest__Output } from './generated/stevedore/agent/v1/ExecRequest';
import type { ExecFrame__Output } from './generated/stevedore/agent/v1/ExecFrame';

/** ECS Exec on the agent channel (dispatcher.proto: ExecRequest, ExecFrame, rpc ExecSession), as both ends read them. */
export type ExecRequest = ExecRequest__Output;
export type ExecFrame = ExecFrame__Output;

/** A frame with every field empty, to spread the one field a frame carries over. */
export const EMPTY_EXEC_FRAME: ExecFrame = { session_id: '', data: Buffer.alloc(0), stream: '', cols: 0, rows: 0, eof: false, started: false, error: '' };
