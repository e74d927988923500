import type { HealthCheck } from '@stevedore/core/host';
import { HEALTHCHECK_DEFAULTS } from '../docker/create-options';

/**
 * Startup checks: the agent runs a container's own health check command once
 * right after the container starts, and again at a short, doubling startup
 * interval, until one passes or Docker's first probe is due (one `interval`
 * after start: Docker 20.10 has no start interval, API 1.44's
 * `StartInterval`). A pass makes the container HEALTHY at once instead of up
 * to one interval later; a rolling update's next wave starts that much
 * sooner (docs/design/deployments.md, "Startup checks").
 *
 * ECS's health semantics stay Docker's: a failed startup check never counts
 * (as a failure inside startPeriod), so UNHEALTHY is only ever Docker's own
 * verdict after `retries` consecutive failures past `startPeriod`; once Docker
 * has a verdict (healthy or unhealthy) it wins; a container restarted in
 * place starts over as UNKNOWN. The departure: a container can be HEALTHY
 * before Docker's first probe, as with Docker >= 25's start_interval.
 */

/** First retry delay; each next one doubles (0, 100, 300, 700, 1500 ms after start, ...). */
export const STARTUP_CHECK_FIRST_RETRY_MS = 100;

/**
 * Docker's exec of the check: CMD-SHELL runs in the container's shell
 * (`/bin/sh -c`, Docker's default: ECS has no SHELL setting), CMD runs its
 * arguments, a bare list is CMD (as create-options' toDockerHealthcheck maps
 * it), NONE or an empty command has no check.
 */
export function healthCheckArgv(h: HealthCheck): string[] | undefined {
  const [first, ...rest] = h.command;
  if (first === 'NONE' || first === undefined) return undefined;
  if (first === 'CMD-SHELL') return rest.length > 0 ? ['/bin/sh', '-c', ...rest] : undefined;
  if (first === 'CMD') return rest.length > 0 ? rest : undefined;
  return [...h.command];
}

/** Offsets from the start (ms) of every startup check: at once, then doubling, strictly before Docker's first probe. */
export function startupCheckOffsets(h: HealthCheck): number[] {
  const firstProbeMs = (h.interval ?? HEALTHCHECK_DEFAULTS.interval) * 1000;
  const out = [0];
  for (let delay = STARTUP_CHECK_FIRST_RETRY_MS; out[out.length - 1]! + delay < firstProbeMs; delay *= 2) out.push(out[out.length - 1]! + delay);
  return out;
}

/** Deadline of one startup check: the check's own timeout (Docker's), in ms. */
export function startupCheckTimeoutMs(h: HealthCheck): number {
  return (h.timeout ?? HEALTHCHECK_DEFAULTS.timeout) * 1000;
}
