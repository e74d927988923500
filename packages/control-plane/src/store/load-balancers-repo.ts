import type { Listener, ListenerRule, LoadBalancer, LoadBalancingState, TargetGroup } from '@stevedore/core';
import type { Change } from './changes';
import type { Db } from './db';
import { statementCache } from './statement-cache';

/**
 * Load balancers, target groups, listeners and rules: the user's ELB
 * configuration, written only by the API. Every write records a
 * `load-balancer-config` change, which makes load-balancer hosts resend
 * their configuration and the load balancer role look again.
 */
export class LoadBalancersRepo {
  private readonly stmt: ReturnType<typeof statementCache>;

  constructor(private readonly db: Db, private readonly record: (c: Change) => void) {
    this.stmt = statementCache(db);
  }

  private changed(): void {
    this.record({ kind: 'load-balancer-config' });
  }

  getLoadBalancer(arn: string): LoadBalancer | undefined {
    const r = this.stmt('SELECT spec_json FROM load_balancers WHERE arn = ?').get(arn) as { spec_json: string } | undefined;
    return r && (JSON.parse(r.spec_json) as LoadBalancer);
  }

  loadBalancerByName(name: string): LoadBalancer | undefined {
    const r = this.stmt('SELECT spec_json FROM load_balancers WHERE name = ?').get(name) as { spec_json: string } | undefined;
    return r && (JSON.parse(r.spec_json) as LoadBalancer);
  }

  /** By name, after `after` (paging). */
  listLoadBalancers(opts: { cluster?: string; after?: string; limit?: number } = {}): LoadBalancer[] {
    const rows = this.stmt('SELECT spec_json FROM load_balancers WHERE name > ? AND (? IS NULL OR cluster = ?) ORDER BY name LIMIT ?').all(
      opts.after ?? '',
      opts.cluster ?? null,
      opts.cluster ?? null,
      opts.limit ?? -1,
    ) as { spec_json: string }[];
    return rows.map((r) => JSON.parse(r.spec_json) as LoadBalancer);
  }

  putLoadBalancer(lb: LoadBalancer): void {
    this.stmt('INSERT INTO load_balancers(arn, name, cluster, spec_json, created_at) VALUES (?, ?, ?, ?, ?)').run(lb.arn, lb.name, lb.cluster, JSON.stringify(lb), lb.createdAt);
    this.changed();
  }

  /** Tags, attributes, recorded subnets: what can change after creation (name, cluster and type cannot). */
  updateLoadBalancer(lb: LoadBalancer): void {
    this.stmt('UPDATE load_balancers SET spec_json = ? WHERE arn = ?').run(JSON.stringify(lb), lb.arn);
    this.changed();
  }

  /** Listeners and rules go with it (ELB deletes them too). */
  deleteLoadBalancer(arn: string): void {
    this.stmt('DELETE FROM load_balancers WHERE arn = ?').run(arn);
    this.changed();
  }

  getTargetGroup(arn: string): TargetGroup | undefined {
    const r = this.stmt('SELECT spec_json FROM target_groups WHERE arn = ?').get(arn) as { spec_json: string } | undefined;
    return r && (JSON.parse(r.spec_json) as TargetGroup);
  }

  targetGroupByName(name: string): TargetGroup | undefined {
    const r = this.stmt('SELECT spec_json FROM target_groups WHERE name = ?').get(name) as { spec_json: string } | undefined;
    return r && (JSON.parse(r.spec_json) as TargetGroup);
  }

  listTargetGroups(opts: { after?: string; limit?: number } = {}): TargetGroup[] {
    const rows = this.stmt('SELECT spec_json FROM target_groups WHERE name > ? ORDER BY name LIMIT ?').all(opts.after ?? '', opts.limit ?? -1) as { spec_json: string }[];
    return rows.map((r) => JSON.parse(r.spec_json) as TargetGroup);
  }

  /** Insert or replace (ModifyTargetGroup, ModifyTargetGroupAttributes). */
  putTargetGroup(tg: TargetGroup): void {
    this.stmt(
      `INSERT INTO target_groups(arn, name, spec_json, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT(arn) DO UPDATE SET spec_json = excluded.spec_json`,
    ).run(tg.arn, tg.name, JSON.stringify(tg), tg.createdAt);
    this.changed();
  }

  deleteTargetGroup(arn: string): void {
    this.stmt('DELETE FROM target_groups WHERE arn = ?').run(arn);
    this.stmt('DELETE FROM target_health WHERE target_group_arn = ?').run(arn);
    this.changed();
  }

  getListener(arn: string): Listener | undefined {
    const r = this.stmt('SELECT spec_json FROM listeners WHERE arn = ?').get(arn) as { spec_json: string } | undefined;
    return r && (JSON.parse(r.spec_json) as Listener);
  }

  listenersOf(loadBalancerArn: string): Listener[] {
    const rows = this.stmt('SELECT spec_json FROM listeners WHERE load_balancer_arn = ? ORDER BY port').all(loadBalancerArn) as { spec_json: string }[];
    return rows.map((r) => JSON.parse(r.spec_json) as Listener);
  }

  putListener(l: Listener): void {
    this.stmt(
      `INSERT INTO listeners(arn, load_balancer_arn, port, spec_json, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(arn) DO UPDATE SET port = excluded.port, spec_json = excluded.spec_json`,
    ).run(l.arn, l.loadBalancerArn, l.port, JSON.stringify(l), l.createdAt);
    this.changed();
  }

  deleteListener(arn: string): void {
    this.stmt('DELETE FROM listeners WHERE arn = ?').run(arn);
    this.changed();
  }

  getRule(arn: string): ListenerRule | undefined {
    const r = this.stmt('SELECT spec_json FROM listener_rules WHERE arn = ?').get(arn) as { spec_json: string } | undefined;
    return r && (JSON.parse(r.spec_json) as ListenerRule);
  }

  rulesOf(listenerArn: string): ListenerRule[] {
    const rows = this.stmt('SELECT spec_json FROM listener_rules WHERE listener_arn = ? ORDER BY priority').all(listenerArn) as { spec_json: string }[];
    return rows.map((r) => JSON.parse(r.spec_json) as ListenerRule);
  }

  putRule(r: ListenerRule): void {
    this.stmt(
      `INSERT INTO listener_rules(arn, listener_arn, priority, spec_json, created_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(arn) DO UPDATE SET priority = excluded.priority, spec_json = excluded.spec_json`,
    ).run(r.arn, r.listenerArn, r.priority, JSON.stringify(r), r.createdAt);
    this.changed();
  }

  deleteRule(arn: string): void {
    this.stmt('DELETE FROM listener_rules WHERE arn = ?').run(arn);
    this.changed();
  }

  /** Listeners and rules that forward to a target group (DeleteTargetGroup refuses while any does). */
  targetGroupUsers(targetGroupArn: string): string[] {
    const needle = `%"targetGroupArn":${JSON.stringify(targetGroupArn)}%`;
    // A gateway listener's destination (GatewayRoute) is in use too.
    const destination = `%"destinationTargetGroupArn":${JSON.stringify(targetGroupArn)}%`;
    const l = this.stmt('SELECT arn FROM listeners WHERE spec_json LIKE ? OR spec_json LIKE ?').all(needle, destination) as { arn: string }[];
    const r = this.stmt('SELECT arn FROM listener_rules WHERE spec_json LIKE ?').all(needle) as { arn: string }[];
    return [...l, ...r].map((x) => x.arn);
  }

  /** Everything a host set or the target role needs, for the load balancers of some clusters (all when omitted). */
  state(clusters?: string[]): Omit<LoadBalancingState, 'targets'> {
    const all = (sql: string, ...args: unknown[]) => (this.stmt(sql).all(...args) as { spec_json: string }[]).map((r) => JSON.parse(r.spec_json) as unknown);
    const loadBalancers = (all('SELECT spec_json FROM load_balancers ORDER BY created_at') as LoadBalancer[]).filter((lb) => !clusters || clusters.includes(lb.cluster));
    const lbArns = new Set(loadBalancers.map((lb) => lb.arn));
    const listeners = (all('SELECT spec_json FROM listeners') as Listener[]).filter((l) => lbArns.has(l.loadBalancerArn));
    const listenerArns = new Set(listeners.map((l) => l.arn));
    const rules = (all('SELECT spec_json FROM listener_rules ORDER BY priority') as ListenerRule[]).filter((r) => listenerArns.has(r.listenerArn));
    const targetGroups = all('SELECT spec_json FROM target_groups ORDER BY name') as TargetGroup[];
    return { loadBalancers, listeners, rules, targetGroups };
  }

  countInCluster(cluster: string): number {
    return (this.stmt('SELECT COUNT(*) AS n FROM load_balancers WHERE cluster = ?').get(cluster) as { n: number }).n;
  }
}
