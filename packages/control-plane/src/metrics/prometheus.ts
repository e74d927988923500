import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { loadBalancerDimension, targetGroupDimension } from '@stevedore/core';
import type { MetricsSnapshot } from './metrics-snapshot';

/**
 * The control plane's Prometheus registry (its own, not prom-client's global
 * one: tests run several control planes in one process). Two halves: the
 * cluster's figures as the metric publisher computed them last period
 * (gauges replaced whole each period, so a deleted service disappears), and
 * the control plane's own health, observed as it happens.
 */
export class PrometheusMetrics {
  readonly registry = new Registry();
  private readonly serviceCpu;
  private readonly serviceMemory;
  private readonly serviceTasks;
  readonly leader: Gauge;
  readonly leaderEpoch: Gauge;
  readonly leaderTerms: Counter;
  private readonly clusterGauges;
  private readonly tgGauges;
  private readonly tgRequestsTotal;
  private readonly tgErrorsTotal;
  readonly apiRequests;
  readonly apiDuration;
  readonly reconcileDuration;
  readonly sqliteTxDuration;
  readonly publishDuration;

  constructor(connectedAgents: () => number) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'stevedore_process_' });
    const svc = ['cluster', 'service'] as const;
    this.serviceCpu = new Gauge({ name: 'stevedore_service_cpu_utilization_percent', help: 'AWS/ECS CPUUtilization of a service: CPU used by its tasks / CPU reserved by them x 100', labelNames: svc, registers });
    this.serviceMemory = new Gauge({ name: 'stevedore_service_memory_utilization_percent', help: 'AWS/ECS MemoryUtilization of a service: memory used by its tasks / memory reserved by them x 100', labelNames: svc, registers });
    this.serviceTasks = new Gauge({ name: 'stevedore_service_measured_tasks', help: 'Running tasks of a service with a fresh usage reading', labelNames: svc, registers });
    const cl = ['cluster'] as const;
    this.clusterGauges = {
      cpu: new Gauge({ name: 'stevedore_cluster_cpu_utilization_percent', help: 'AWS/ECS CPUUtilization of a cluster', labelNames: cl, registers }),
      memory: new Gauge({ name: 'stevedore_cluster_memory_utilization_percent', help: 'AWS/ECS MemoryUtilization of a cluster', labelNames: cl, registers }),
      cpuReservation: new Gauge({ name: 'stevedore_cluster_cpu_reservation_percent', help: 'AWS/ECS CPUReservation: CPU reserved by tasks / registered on instances x 100', labelNames: cl, registers }),
      memoryReservation: new Gauge({ name: 'stevedore_cluster_memory_reservation_percent', help: 'AWS/ECS MemoryReservation: memory reserved by tasks / registered on instances x 100', labelNames: cl, registers }),
    };
    const tg = ['target_group', 'load_balancer'] as const;
    this.tgGauges = {
      requestCount: new Gauge({ name: 'stevedore_target_group_request_count', help: 'AWS/ApplicationELB RequestCount of the last metrics period', labelNames: tg, registers }),
      requestCountPerTarget: new Gauge({ name: 'stevedore_target_group_request_count_per_target', help: 'AWS/ApplicationELB RequestCountPerTarget of the last metrics period', labelNames: tg, registers }),
      http5xx: new Gauge({ name: 'stevedore_target_group_http_code_target_5xx_count', help: 'AWS/ApplicationELB HTTPCode_Target_5XX_Count of the last metrics period', labelNames: tg, registers }),
      responseTime: new Gauge({ name: 'stevedore_target_group_target_response_time_seconds', help: 'AWS/ApplicationELB TargetResponseTime of the last metrics period', labelNames: tg, registers }),
      healthy: new Gauge({ name: 'stevedore_target_group_healthy_host_count', help: 'AWS/ApplicationELB HealthyHostCount', labelNames: tg, registers }),
      unhealthy: new Gauge({ name: 'stevedore_target_group_unhealthy_host_count', help: 'AWS/ApplicationELB UnHealthyHostCount', labelNames: tg, registers }),
    };
    this.tgRequestsTotal = new Counter({ name: 'stevedore_target_group_requests_total', help: 'Requests forwarded to a target group since the control plane started', labelNames: tg, registers });
    this.tgErrorsTotal = new Counter({ name: 'stevedore_target_group_target_5xx_total', help: 'Target 5xx responses and errors since the control plane started', labelNames: tg, registers });
    this.apiRequests = new Counter({ name: 'stevedore_api_requests_total', help: 'API requests by action and HTTP status', labelNames: ['action', 'status'] as const, registers });
    this.apiDuration = new Histogram({ name: 'stevedore_api_request_duration_seconds', help: 'API request latency by action', labelNames: ['action'] as const, buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers });
    this.reconcileDuration = new Histogram({ name: 'stevedore_reconcile_duration_seconds', help: 'Duration of one service reconciler tick', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
    this.sqliteTxDuration = new Histogram({ name: 'stevedore_sqlite_transaction_duration_seconds', help: 'SQLite transaction latency (writes commit here)', buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers });
    this.leader = new Gauge({ name: 'stevedore_leader', help: '1 while this replica holds the leader lease and runs the reconcile loops', registers });
    this.leaderEpoch = new Gauge({ name: 'stevedore_leader_epoch', help: 'Epoch (fencing token) of the last term this replica led', registers });
    this.leaderTerms = new Counter({ name: 'stevedore_leader_terms_total', help: 'Leadership terms this replica began', registers });
    this.publishDuration = new Histogram({ name: 'stevedore_metrics_publish_duration_seconds', help: 'Duration of one metrics period: snapshot, figures, metric store write', buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers });
    new Gauge({
      name: 'stevedore_connected_agents',
      help: 'Container instances whose agent has a session now',
      registers,
      collect() {
        this.set(connectedAgents());
      },
    });
  }

  /** Replaces the cluster figures with one period's. */
  setSnapshot(s: MetricsSnapshot): void {
    for (const g of [this.serviceCpu, this.serviceMemory, this.serviceTasks, ...Object.values(this.clusterGauges), ...Object.values(this.tgGauges)]) g.reset();
    for (const x of s.services) {
      const l = { cluster: x.cluster, service: x.service };
      if (x.figures.cpu !== undefined) this.serviceCpu.set(l, x.figures.cpu);
      if (x.figures.memory !== undefined) this.serviceMemory.set(l, x.figures.memory);
      this.serviceTasks.set(l, x.runningTasks);
    }
    for (const c of s.clusters) {
      const l = { cluster: c.cluster };
      const f = c.figures;
      if (f.cpu !== undefined) this.clusterGauges.cpu.set(l, f.cpu);
      if (f.memory !== undefined) this.clusterGauges.memory.set(l, f.memory);
      if (f.cpuReservation !== undefined) this.clusterGauges.cpuReservation.set(l, f.cpuReservation);
      if (f.memoryReservation !== undefined) this.clusterGauges.memoryReservation.set(l, f.memoryReservation);
    }
    for (const t of s.targetGroups) {
      const l = { target_group: targetGroupDimension(t.targetGroupArn), load_balancer: t.loadBalancerArn ? loadBalancerDimension(t.loadBalancerArn) : '' };
      const f = t.figures;
      this.tgGauges.requestCount.set(l, f.requestCount);
      if (f.requestCountPerTarget !== undefined) this.tgGauges.requestCountPerTarget.set(l, f.requestCountPerTarget);
      this.tgGauges.http5xx.set(l, f.httpCodeTarget5xx);
      if (f.targetResponseTime !== undefined) this.tgGauges.responseTime.set(l, f.targetResponseTime);
      this.tgGauges.healthy.set(l, f.healthyHostCount);
      this.tgGauges.unhealthy.set(l, f.unhealthyHostCount);
      this.tgRequestsTotal.inc(l, f.requestCount);
      this.tgErrorsTotal.inc(l, f.httpCodeTarget5xx);
    }
  }
}
