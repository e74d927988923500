import type { ControlPlaneConfig } from '../config';

/**
 * A control-plane replica for in-process HA tests: loopback listeners on
 * free ports, a short leader lease, a silent log. Replicas of one test share
 * `dataDir` (one master key, one CA, one admin key; in production each has
 * its copy); `over` adds the store and whatever else a test needs.
 */
export function replicaTestConfig(dataDir: string, replicaId: string, over: Partial<ControlPlaneConfig> = {}): ControlPlaneConfig {
  return {
    dataDir,
    replicaId,
    leaderLeaseTtlMs: 1500,
    apiListen: { host: '127.0.0.1', port: 0 },
    agentListen: '127.0.0.1:0',
    region: 'us-east-1',
    account: '000000000000',
    logLevel: 'silent',
    heartbeatPeriodMs: 3000,
    orchestrator: { startupDelayMs: 0 },
    ...over,
  };
}
