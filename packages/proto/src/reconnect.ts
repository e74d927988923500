/**
 * How fast an agent comes back after its control plane does: part of the
 * contract with the control plane's lost-instance grace
 * (docs/design/dispatcher-protocol.md). Both the session loop's backoff and
 * the gRPC channel's own reconnect backoff are capped here, so after any
 * outage, however long, an agent's session is back within
 * AGENT_RECONNECT_WORST_MS of the control plane listening again: the two
 * backoffs run side by side, each at most the cap plus its jitter. The
 * grace (default 30 s) must stay well above that, or a restart looks like
 * dead hosts.
 */
export const AGENT_RECONNECT_MAX_MS = 5000;
/** Each delay is randomised by +-20% so a fleet does not reconnect in lockstep. */
export const AGENT_RECONNECT_JITTER = 0.2;
export const AGENT_RECONNECT_WORST_MS = 2 * AGENT_RECONNECT_MAX_MS * (1 + AGENT_RECONNECT_JITTER);

/** gRPC channel options for the agent's channel (grpc-js defaults: 1 s growing to 120 s). */
export const AGENT_CHANNEL_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 500,
  'grpc.max_reconnect_backoff_ms': AGENT_RECONNECT_MAX_MS,
} as const;
