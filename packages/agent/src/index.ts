/** Library surface of the agent (the binary is main.ts): for the e2e harness and tools. */
export { startAgent, agentVersion, type RunningAgent } from './agent';
export { parseConfig, ConfigError, type AgentConfig } from './config';
export { nextStep, type ContainerView, type Step, type TaskView } from './exec/next-step';
export type { ContainerController } from './exec/container-controller';
export { DockerController } from './docker/docker-controller';
export { FakeContainerController } from './testing/fake-container-controller';
export { LABEL } from './docker/labels';
export { DOCKER_TIMEOUTS } from './docker/timeouts';
export { Worker } from './worker/worker';
