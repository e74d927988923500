import type { WireTaskStatus } from '@stevedore/proto';

type WireContainerStatus = WireTaskStatus['containers'][number];

/** A container as an agent reports it RUNNING (no bindings, health unknown unless given). */
export function runningContainer(name: string, over: Partial<WireContainerStatus> = {}): WireContainerStatus {
  return { name, status: 'RUNNING', runtime_id: `rt-${name}`, exit_code: undefined, reason: '', network_bindings: [], health_status: 'UNKNOWN', ...over };
}

/** An agent's status report of a task RUNNING now, with its containers (tests of report ingest). */
export function runningReport(taskArn: string, containers: WireContainerStatus[] = [runningContainer('app')]): WireTaskStatus {
  return {
    task_arn: taskArn,
    last_status: 'RUNNING',
    containers,
    stop_code: '',
    stopped_reason: '',
    pull_started_at: 0,
    pull_stopped_at: 0,
    started_at: Date.now(),
    execution_stopped_at: 0,
    stopped_at: 0,
  };
}
