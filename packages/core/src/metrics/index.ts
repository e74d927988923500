export * from './metric-datum';
export * from './percentile-sketch';
