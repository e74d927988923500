import type { Logger } from 'pino';
import type { LogRequest } from '@stevedore/proto';
import { runtimeMessage, type ContainerController, type Subscription } from '../exec/container-controller';
import type { DispatcherClient } from './dispatcher-client';

export interface ContainerLookup {
  runtimeIdOf(taskArn: string, container: string): string | undefined;
}

/**
 * Answers LogRequests (proto contract 4): one PushLogs client stream per
 * request, first message request_id only, then demultiplexed stdout/stderr
 * chunks; it ends with the logs (or when a followed container stops), and
 * stops reading Docker as soon as the control plane ends the call.
 */
export class LogPusher {
  private readonly active = new Set<Subscription>();

  constructor(
    private readonly client: Pick<DispatcherClient, 'pushLogs'>,
    private readonly containers: ContainerLookup,
    private readonly controller: ContainerController,
    private readonly instanceId: () => string,
    private readonly log: Logger,
  ) {}

  handle(req: LogRequest, sessionId: string): void {
    const log = this.log.child({ requestId: req.request_id, task: req.task_arn, container: req.container_name });
    let sub: Subscription | undefined;
    let finished = false;
    let ended = false;
    const call = this.client.pushLogs(this.instanceId(), sessionId, (err) => {
      finished = true;
      if (sub) {
        sub.close();
        this.active.delete(sub);
      }
      if (err) log.debug({ code: err.code, err: err.details }, 'log call ended by the control plane');
    });
    call.on('error', () => undefined); // surfaced through the callback above
    call.write({ request_id: req.request_id, data: Buffer.alloc(0), stream: '', error: '' });
    const fail = (message: string) => {
      if (finished) return;
      call.write({ request_id: '', data: Buffer.alloc(0), stream: '', error: message });
      call.end();
    };
    const runtimeId = this.containers.runtimeIdOf(req.task_arn, req.container_name);
    if (!runtimeId) return fail(`container ${req.container_name} of task ${req.task_arn} has no Docker container on this instance (not created yet, or cleaned up)`);
    this.controller
      .openLogs(runtimeId, { follow: req.follow, tail: req.tail, sinceMs: req.since_ms }, {
        onData: (stream, data) => {
          if (!finished) call.write({ request_id: '', data, stream, error: '' });
        },
        onEnd: (err) => {
          ended = true;
          if (sub) this.active.delete(sub);
          if (err) return fail(runtimeMessage(err));
          if (!finished) call.end();
        },
      })
      .then(
        (s) => {
          if (finished || ended) return s.close();
          sub = s;
          this.active.add(s);
        },
        (err: unknown) => fail(runtimeMessage(err)),
      );
  }

  closeAll(): void {
    for (const s of this.active) s.close();
    this.active.clear();
  }
}
