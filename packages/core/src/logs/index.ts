export * from './awslogs-config';
export * from './log-driver-options';
export * from './multiline';
export * from './filter-pattern';
export * from './retention';
