import { InvalidParameterException } from '../errors';
import type { PlacementConstraint, PlacementStrategy } from '../model/service';
import { parseQuery } from './query-language';

/** ECS limits: constraints count the task definition's memberOf ones too. */
export const MAX_PLACEMENT_CONSTRAINTS_TOTAL = 10;
export const MAX_PLACEMENT_STRATEGIES = 5;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads `placementConstraints` of RunTask/StartTask/CreateService/UpdateService.
 * memberOf expressions are parsed now, so a bad one is refused with its
 * position instead of silently matching nothing later.
 */
export function readPlacementConstraints(raw: unknown, field = 'placementConstraints'): PlacementConstraint[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InvalidParameterException(`${field} must be a list.`, field);
  return raw.map((c, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(c)) throw new InvalidParameterException(`${at} must be an object.`, at);
    const type = c['type'];
    if (type !== 'distinctInstance' && type !== 'memberOf') {
      throw new InvalidParameterException(`${at}.type must be one of: distinctInstance, memberOf.`, `${at}.type`);
    }
    const expression = c['expression'];
    if (type === 'distinctInstance') {
      if (expression !== undefined && expression !== null && expression !== '') {
        throw new InvalidParameterException(`${at}: the distinctInstance constraint takes no expression.`, `${at}.expression`);
      }
      return { type };
    }
    if (typeof expression !== 'string' || expression.trim() === '') {
      throw new InvalidParameterException(`${at}: the memberOf constraint requires an expression.`, `${at}.expression`);
    }
    try {
      parseQuery(expression);
    } catch (e) {
      if (e instanceof InvalidParameterException) throw new InvalidParameterException(`${at}.expression: ${e.message}`, `${at}.expression`);
      throw e;
    }
    return { type, expression };
  });
}

const SPREAD_FIELD = /^(instanceId|host|attribute:[A-Za-z0-9_\-/\\.]{1,128})$/;

export function readPlacementStrategies(raw: unknown, field = 'placementStrategy'): PlacementStrategy[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InvalidParameterException(`${field} must be a list.`, field);
  if (raw.length > MAX_PLACEMENT_STRATEGIES) {
    throw new InvalidParameterException(`${field} can have at most ${MAX_PLACEMENT_STRATEGIES} strategies.`, field);
  }
  return raw.map((s, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(s)) throw new InvalidParameterException(`${at} must be an object.`, at);
    const type = s['type'];
    const f = s['field'];
    if (f !== undefined && f !== null && typeof f !== 'string') throw new InvalidParameterException(`${at}.field must be a string.`, `${at}.field`);
    switch (type) {
      case 'random':
        if (f) throw new InvalidParameterException(`${at}: the random strategy takes no field.`, `${at}.field`);
        return { type };
      case 'binpack': {
        const lower = typeof f === 'string' ? f.toLowerCase() : '';
        if (lower !== 'cpu' && lower !== 'memory') throw new InvalidParameterException(`${at}: invalid field for the binpack strategy; valid fields are cpu and memory.`, `${at}.field`);
        return { type, field: lower };
      }
      case 'spread':
        if (typeof f !== 'string' || !SPREAD_FIELD.test(f)) {
          throw new InvalidParameterException(`${at}: invalid field for the spread strategy; use instanceId, host or attribute:<name>.`, `${at}.field`);
        }
        return { type, field: f === 'host' ? 'instanceId' : f };
      default:
        throw new InvalidParameterException(`${at}.type must be one of: random, spread, binpack.`, `${at}.type`);
    }
  });
}

/** Request constraints plus the task definition's memberOf ones, within ECS's limit of 10. */
export function combineConstraints(request: PlacementConstraint[], fromTaskDefinition: PlacementConstraint[] | undefined, field = 'placementConstraints'): PlacementConstraint[] {
  const all = [...request, ...(fromTaskDefinition ?? [])];
  if (all.length > MAX_PLACEMENT_CONSTRAINTS_TOTAL) {
    throw new InvalidParameterException(
      `Too many placement constraints: ${all.length} (${request.length} in the request, ${all.length - request.length} in the task definition); at most ${MAX_PLACEMENT_CONSTRAINTS_TOTAL} are allowed.`,
      field,
    );
  }
  return all;
}
