import { actionsText, conditionsText } from '../../model/listener-rules';
import { useApp } from '../app-context';
import { ErrorText, Section, StatusBadge } from '../components';
import { Link } from '../router';
import { usePoll } from '../use-poll';

type Elb = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null ? '-' : String(v));

export function LoadBalancersPage() {
  const { client } = useApp();
  const p = usePoll(async () => (await client.call<{ LoadBalancers?: Elb[] }>('elbv2', 'DescribeLoadBalancers', {})).LoadBalancers ?? [], []);
  return (
    <>
      <h1>Load balancers</h1>
      <ErrorText error={p.error} />
      {p.data?.length === 0 ? <p class="muted">No load balancers.</p> : null}
      <ul>
        {p.data?.map((lb) => (
          <li key={str(lb['LoadBalancerArn'])}>
            <Link to={{ page: 'load-balancer', name: str(lb['LoadBalancerName']) }}>{str(lb['LoadBalancerName'])}</Link> {str(lb['Type'])} {str(lb['DNSName'])}{' '}
            <StatusBadge value={str((lb['State'] as Elb | undefined)?.['Code'])} />
          </li>
        ))}
      </ul>
    </>
  );
}

export function LoadBalancerPage({ name }: { name: string }) {
  const { client } = useApp();
  const p = usePoll(async () => {
    const lb = ((await client.call<{ LoadBalancers?: Elb[] }>('elbv2', 'DescribeLoadBalancers', { Names: [name] })).LoadBalancers ?? [])[0];
    if (!lb) throw new Error(`Load balancer ${name} was not found.`);
    const arn = str(lb['LoadBalancerArn']);
    const listeners = (await client.call<{ Listeners?: Elb[] }>('elbv2', 'DescribeListeners', { LoadBalancerArn: arn })).Listeners ?? [];
    const rules = await Promise.all(listeners.map(async (l) => ({ listener: str(l['ListenerArn']), rules: (await client.call<{ Rules?: Elb[] }>('elbv2', 'DescribeRules', { ListenerArn: str(l['ListenerArn']) })).Rules ?? [] })));
    const groups = (await client.call<{ TargetGroups?: Elb[] }>('elbv2', 'DescribeTargetGroups', { LoadBalancerArn: arn })).TargetGroups ?? [];
    const health = await Promise.all(groups.map(async (g) => (await client.call<{ TargetHealthDescriptions?: Elb[] }>('elbv2', 'DescribeTargetHealth', { TargetGroupArn: str(g['TargetGroupArn']) })).TargetHealthDescriptions ?? []));
    return { lb, listeners, rules, groups, health };
  }, [name]);
  const d = p.data;
  return (
    <>
      <p class="crumbs">
        <Link to={{ page: 'load-balancers' }}>Load balancers</Link> / {name}
      </p>
      <h1>Load balancer {name}</h1>
      <ErrorText error={p.error} />
      {d ? (
        <>
          <p>
            {str(d.lb['Type'])} · {str(d.lb['Scheme'])} · {str(d.lb['DNSName'])}
          </p>
          <Section title="Listeners and rules">
            {d.listeners.map((l, i) => (
              <div key={str(l['ListenerArn'])}>
                <h3>
                  {str(l['Protocol'])}:{str(l['Port'])}
                </h3>
                <ul>
                  {d.rules[i]?.rules.map((r) => (
                    <li key={str(r['RuleArn'])}>
                      priority {str(r['Priority'])}: {conditionsText(r['Conditions'] as Parameters<typeof conditionsText>[0])} → {actionsText(r['Actions'] as Parameters<typeof actionsText>[0])}
                    </li>
                  ))}
                </ul>
              </div>
            ))}
          </Section>
          <Section title="Target groups">
            {d.groups.map((g, i) => (
              <div key={str(g['TargetGroupArn'])}>
                <h3>
                  {str(g['TargetGroupName'])} ({str(g['Protocol'])}:{str(g['Port'])}, health check {str(g['HealthCheckPath'])})
                </h3>
                <ul>
                  {(d.health[i] ?? []).map((h) => {
                    const t = (h['Target'] ?? {}) as Elb;
                    const th = (h['TargetHealth'] ?? {}) as Elb;
                    return (
                      <li key={`${str(t['Id'])}:${str(t['Port'])}`}>
                        {str(t['Id'])}:{str(t['Port'])} <StatusBadge value={str(th['State'])} /> {str(th['Description'] ?? th['Reason'] ?? '')}
                      </li>
                    );
                  })}
                </ul>
              </div>
            ))}
          </Section>
        </>
      ) : null}
    </>
  );
}
