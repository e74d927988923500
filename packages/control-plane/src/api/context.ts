import type { Logger } from 'pino';
import type { ArnContext, Clock } from '@stevedore/core';
import type { Store } from '../store/store';
import type { LogBroker } from '../logs/log-broker';

/** What every API action may use: the store and the request's identity. */
export interface ApiContext {
  store: Store;
  clock: Clock;
  arn: ArnContext;
  log: Logger;
  logs: LogBroker;
  /** Seed source for placement; tests pin it. */
  random: () => number;
}

export type Action = (ctx: ApiContext, body: unknown) => unknown;
