/**
 * Node/V8 flags every agent process runs with (measured in docs/benchmarks.md):
 * - `--max-semi-space-size=1`: a 1 MiB young generation instead of 16 MiB;
 *   the agent allocates little per second, so the extra scavenges cost nothing.
 * - `--lite-mode`: no optimizing compiler and lazily allocated feedback: the
 *   agent waits on Docker and gRPC, and the code and feedback vectors TurboFan
 *   would touch are ~7 MiB of resident memory on every host (~2 MiB against
 *   `--no-opt`); task start latency measured no different (docs/benchmarks.md,
 *   "Both goals at once").
 * - `--max-old-space-size=128`: a ceiling ~10x the heap of an agent running
 *   50 tasks; a leak becomes a crash that the service manager restarts (the
 *   agent re-adopts its containers) instead of memory taken from the tasks.
 * They must be node flags, not code: the bin's shebang, dist/main.js's
 * shebang (install.sh links it), the systemd unit, scripts/local-cluster.sh,
 * the local host-group provisioner and the test harness all pass this exact
 * list; node-flags.test.ts fails when one of them drifts.
 */
export const AGENT_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=128', '--lite-mode'] as const;
