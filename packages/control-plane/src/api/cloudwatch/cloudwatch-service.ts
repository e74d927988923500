import type { Action } from '../context';
import type { QueryService } from '../protocols/query';
import { CLOUDWATCH_MODEL } from './cloudwatch-model';

/** CloudWatch's operations (Query protocol, signed for `monitoring`). A Map: the name is request input. */
const ACTIONS: ReadonlyMap<string, Action> = new Map<string, Action>([]);

export const CLOUDWATCH_SERVICE: QueryService = {
  model: CLOUDWATCH_MODEL,
  targetPrefix: 'GraniteServiceVersion20100801',
  actions: ACTIONS,
};
