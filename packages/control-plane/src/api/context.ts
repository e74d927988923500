import type { Logger } from 'pino';
import type { ArnContext, Clock } from '@stevedore/core';
import type { Store } from '../store/store';
import type { LogBroker } from '../logs/log-broker';
import type { Principal } from './auth/api-auth';
import type { ExecRelay } from '../exec/exec-relay';
import type { ReplicaRelay } from '../relay/replica-relay';

/** What every API action may use: the store, the clock, ARNs, logging. */
export interface ApiContext {
  store: Store;
  clock: Clock;
  arn: ArnContext;
  log: Logger;
  logs: LogBroker;
  /** Seed source for placement; tests pin it. */
  random: () => number;
  /** ECS Exec sessions (ExecuteCommand); absent where the API is served without them. */
  exec?: ExecRelay;
  /** Reaches agents whose session another replica holds (GetTaskLogs); absent without a master key. */
  relay?: ReplicaRelay;
  /** How exec stream URLs start: `ws` or `wss`, as the API is served. */
  streamScheme?: 'ws' | 'wss';
  /** The Host header of the request being served (the exec stream URL names the same endpoint). */
  requestHost?: string;
}

/**
 * One request's context: the shared one plus who made the request, passed
 * to the action (never a global), and a logger whose every line names the
 * caller's access key id. Actions that authorize what they do beyond the
 * operation itself (a launch's secrets and roles) read `caller`.
 */
export interface RequestContext extends ApiContext {
  caller: Principal;
}

export type Action = (ctx: RequestContext, body: unknown) => unknown;
