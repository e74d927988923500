/** People's views of container instances: capacity as used/registered plus what is free. */
import type { EcsContainerInstance } from '../ecs-types';
import { dash, formatTimeWithAge, formatUsage, resourceSet, resourceUsage, shortId } from './format';
import { indentBlock, renderFields, renderTable } from './table';

export function renderInstanceTable(instances: EcsContainerInstance[]): string {
  return renderTable(
    ['INSTANCE', 'HOST', 'STATUS', 'AGENT', 'CPU USED/TOTAL', 'CPU FREE', 'MEM USED/TOTAL', 'MEM FREE', 'RUNNING', 'PENDING'],
    instances.map((i) => {
      const cpu = resourceUsage(i.registeredResources, i.remainingResources, 'CPU');
      const mem = resourceUsage(i.registeredResources, i.remainingResources, 'MEMORY');
      return [
        shortId(i.containerInstanceArn),
        dash(i.ec2InstanceId),
        dash(i.status),
        i.agentConnected === undefined ? '-' : i.agentConnected ? 'connected' : 'disconnected',
        formatUsage(cpu),
        dash(cpu.free),
        formatUsage(mem),
        dash(mem.free),
        dash(i.runningTasksCount),
        dash(i.pendingTasksCount),
      ];
    }),
  );
}

export function renderInstanceDetail(i: EcsContainerInstance, nowMs: number): string {
  const fields: [string, string][] = [
    ['Instance', shortId(i.containerInstanceArn)],
    ['ARN', i.containerInstanceArn],
    ['Host', dash(i.ec2InstanceId)],
    ['Status', `${dash(i.status)}${i.statusReason ? ` (${i.statusReason})` : ''}`],
    ['Agent connected', i.agentConnected === undefined ? '-' : String(i.agentConnected)],
    ['Running tasks', dash(i.runningTasksCount)],
    ['Pending tasks', dash(i.pendingTasksCount)],
    // The same shape as `stevedore-agent --version` prints: version, then the commit it was built from.
    ['Agent version', i.versionInfo?.agentVersion && i.versionInfo.agentHash ? `${i.versionInfo.agentVersion} (commit ${i.versionInfo.agentHash})` : dash(i.versionInfo?.agentVersion)],
    ['Docker version', dash(i.versionInfo?.dockerVersion)],
    ['Registered', formatTimeWithAge(i.registeredAt, nowMs)],
  ];
  const rows = (['CPU', 'MEMORY'] as const).map((name) => {
    const u = resourceUsage(i.registeredResources, i.remainingResources, name);
    return [name === 'CPU' ? 'CPU (units)' : 'MEMORY (MiB)', dash(u.registered), dash(u.used), dash(u.free)];
  });
  const resources = renderTable(['RESOURCE', 'REGISTERED', 'USED', 'FREE'], rows);
  const usedPorts = resourceSet(i.remainingResources, 'PORTS');
  const reservedPorts = resourceSet(i.registeredResources, 'PORTS');
  const portFields: [string, string][] = [
    ['Reserved TCP ports', reservedPorts.join(', ') || '-'],
    ['TCP ports in use', usedPorts.filter((p) => !reservedPorts.includes(p)).join(', ') || '-'],
  ];
  // Valueless capability flags run to dozens of lines; people need the count, scripts use JSON.
  const all = i.attributes ?? [];
  const isCapability = (a: { name: string; value?: string }) => a.value === undefined && /(^|\.)capability\./.test(a.name);
  const capabilities = all.filter(isCapability).length;
  const attributes =
    renderTable(
      ['NAME', 'VALUE'],
      all.filter((a) => !isCapability(a)).map((a) => [a.name, dash(a.value)]),
    ) + (capabilities > 0 ? `(and ${capabilities} capability attributes: --output json lists them)\n` : '');
  return (
    renderFields(fields) +
    'Resources:\n' +
    indentBlock(resources, '  ') +
    renderFields(portFields, '  ') +
    'Attributes:\n' +
    indentBlock(attributes, '  ')
  );
}
