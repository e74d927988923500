export * from './metric-datum';
export * from './percentile-sketch';
export * from './statistics';
export * from './metric-math';
export * from './alarm-evaluation';
export * from './aggregate';
export * from './metric-data';
