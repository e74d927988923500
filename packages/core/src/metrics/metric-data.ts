import type { ClusterFigures, TargetGroupFigures, Utilization } from './aggregate';
import type { MetricDatum } from './metric-datum';

export const METRIC_NAMESPACES = {
  ecs: 'AWS/ECS',
  elb: 'AWS/ApplicationELB',
  insights: 'ECS/ContainerInsights',
} as const;

/**
 * ELB's dimension values are the ARN's resource part after the type:
 * `LoadBalancer` = `app/NAME/ID`, `TargetGroup` = `targetgroup/NAME/ID`.
 */
export function loadBalancerDimension(arn: string): string {
  const i = arn.indexOf(':loadbalancer/');
  return i >= 0 ? arn.slice(i + ':loadbalancer/'.length) : arn;
}

export function targetGroupDimension(arn: string): string {
  const i = arn.indexOf(':targetgroup/');
  return i >= 0 ? arn.slice(i + 1) : arn;
}

type Dims = { name: string; value: string }[];

function datum(namespace: string, metricName: string, dimensions: Dims, timestamp: number, value: number, unit: string): MetricDatum {
  return { namespace, metricName, dimensions, timestamp, value, unit };
}

/** AWS/ECS CPUUtilization and MemoryUtilization of one service (ClusterName, ServiceName). */
export function serviceMetricData(cluster: string, service: string, u: Utilization, at: number): MetricDatum[] {
  const dims = [
    { name: 'ClusterName', value: cluster },
    { name: 'ServiceName', value: service },
  ];
  const out: MetricDatum[] = [];
  if (u.cpu !== undefined) out.push(datum(METRIC_NAMESPACES.ecs, 'CPUUtilization', dims, at, u.cpu, 'Percent'));
  if (u.memory !== undefined) out.push(datum(METRIC_NAMESPACES.ecs, 'MemoryUtilization', dims, at, u.memory, 'Percent'));
  return out;
}

/** AWS/ECS cluster utilization and reservation (ClusterName). */
export function clusterMetricData(cluster: string, f: ClusterFigures, at: number): MetricDatum[] {
  const dims = [{ name: 'ClusterName', value: cluster }];
  const out: MetricDatum[] = [];
  const add = (name: string, v: number | undefined) => {
    if (v !== undefined) out.push(datum(METRIC_NAMESPACES.ecs, name, dims, at, v, 'Percent'));
  };
  add('CPUUtilization', f.cpu);
  add('MemoryUtilization', f.memory);
  add('CPUReservation', f.cpuReservation);
  add('MemoryReservation', f.memoryReservation);
  return out;
}

/**
 * AWS/ApplicationELB per target group, with ELB's dimension sets: counts and
 * response time by (TargetGroup, LoadBalancer), RequestCountPerTarget also by
 * TargetGroup alone. A target group no load balancer uses has no LoadBalancer
 * dimension to give: only its per-TargetGroup figures are published.
 */
export function targetGroupMetricData(targetGroupArn: string, loadBalancerArn: string | undefined, f: TargetGroupFigures, at: number): MetricDatum[] {
  const tg = { name: 'TargetGroup', value: targetGroupDimension(targetGroupArn) };
  const ns = METRIC_NAMESPACES.elb;
  const out: MetricDatum[] = [];
  if (f.requestCountPerTarget !== undefined) out.push(datum(ns, 'RequestCountPerTarget', [tg], at, f.requestCountPerTarget, 'Count'));
  if (!loadBalancerArn) return out;
  const dims = [tg, { name: 'LoadBalancer', value: loadBalancerDimension(loadBalancerArn) }];
  out.push(datum(ns, 'RequestCount', dims, at, f.requestCount, 'Count'));
  if (f.requestCountPerTarget !== undefined) out.push(datum(ns, 'RequestCountPerTarget', dims, at, f.requestCountPerTarget, 'Count'));
  out.push(datum(ns, 'HTTPCode_Target_5XX_Count', dims, at, f.httpCodeTarget5xx, 'Count'));
  if (f.targetResponseTime !== undefined) out.push(datum(ns, 'TargetResponseTime', dims, at, f.targetResponseTime, 'Seconds'));
  out.push(datum(ns, 'HealthyHostCount', dims, at, f.healthyHostCount, 'Count'));
  out.push(datum(ns, 'UnHealthyHostCount', dims, at, f.unhealthyHostCount, 'Count'));
  return out;
}

/** A service's measured tasks in Container Insights' terms (sums over its tasks with a reading). */
export interface ServiceInsightsInput {
  cluster: string;
  serviceName: string;
  cpuUtilized: number;
  cpuReserved: number;
  memoryUtilized: number;
  memoryReserved: number;
  runningTaskCount: number;
}

/** ECS/ContainerInsights service-level metrics (ClusterName, ServiceName). */
export function serviceInsightsMetricData(s: ServiceInsightsInput, at: number): MetricDatum[] {
  const dims: Dims = [
    { name: 'ClusterName', value: s.cluster },
    { name: 'ServiceName', value: s.serviceName },
  ];
  const ns = METRIC_NAMESPACES.insights;
  return [
    datum(ns, 'CpuUtilized', dims, at, s.cpuUtilized, 'None'),
    datum(ns, 'CpuReserved', dims, at, s.cpuReserved, 'None'),
    datum(ns, 'MemoryUtilized', dims, at, s.memoryUtilized, 'Megabytes'),
    datum(ns, 'MemoryReserved', dims, at, s.memoryReserved, 'Megabytes'),
    datum(ns, 'RunningTaskCount', dims, at, s.runningTaskCount, 'Count'),
  ];
}

/** One task's reading in Container Insights' task-level terms. */
export interface TaskInsightsInput {
  cluster: string;
  serviceName?: string;
  family: string;
  taskId: string;
  cpuUtilized: number;
  cpuReserved: number;
  memoryUtilized: number;
  memoryReserved: number;
  /** Bytes per second over the agent's window. */
  networkRxBytes: number;
  networkTxBytes: number;
  /** Bytes during the agent's window. */
  storageReadBytes: number;
  storageWriteBytes: number;
}

/** ECS/ContainerInsights task-level metrics (ClusterName, TaskDefinitionFamily, TaskId; ServiceName too for service tasks). */
export function taskInsightsMetricData(t: TaskInsightsInput, at: number): MetricDatum[] {
  const dims: Dims = [
    { name: 'ClusterName', value: t.cluster },
    ...(t.serviceName ? [{ name: 'ServiceName', value: t.serviceName }] : []),
    { name: 'TaskDefinitionFamily', value: t.family },
    { name: 'TaskId', value: t.taskId },
  ];
  const ns = METRIC_NAMESPACES.insights;
  return [
    datum(ns, 'CpuUtilized', dims, at, t.cpuUtilized, 'None'),
    datum(ns, 'CpuReserved', dims, at, t.cpuReserved, 'None'),
    datum(ns, 'MemoryUtilized', dims, at, t.memoryUtilized, 'Megabytes'),
    datum(ns, 'MemoryReserved', dims, at, t.memoryReserved, 'Megabytes'),
    datum(ns, 'NetworkRxBytes', dims, at, t.networkRxBytes, 'Bytes/Second'),
    datum(ns, 'NetworkTxBytes', dims, at, t.networkTxBytes, 'Bytes/Second'),
    datum(ns, 'StorageReadBytes', dims, at, t.storageReadBytes, 'Bytes'),
    datum(ns, 'StorageWriteBytes', dims, at, t.storageWriteBytes, 'Bytes'),
  ];
}
