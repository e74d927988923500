export * from './task-health';
export * from './next-step';
export * from './circuit-breaker';
export * from './rollout';
export * from './service-deployment-history';
