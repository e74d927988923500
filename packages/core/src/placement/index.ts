export * from './resources';
export * from './pipeline';
export * from './filters';
export * from './strategies';
export * from './query-language';
export * from './placement-input';
export * from './instance-load';
