import { ecsRejection, invalidParameter } from './json-reader';

/**
 * Task-level `cpu` and `memory` arrive as strings in either raw units
 * ("1024") or human units ("1 vCPU", "2 GB"). ECS converts them at
 * registration and stores the units, so every later reader sees integers.
 */

const RAW_NUMBER = /^\s*(\d+)\s*$/;
const VCPU = /^\s*(\d*\.?\d+)\s*vcpu\s*$/i;
const GB = /^\s*(\d*\.?\d+)\s*gb\s*$/i;

export const CPU_UNITS_PER_VCPU = 1024;
export const MIB_PER_GB = 1024;

/** EC2/EXTERNAL task cpu range; ECS raised the old 10240 ceiling to 192 vCPU. */
export const TASK_CPU_MIN = 128;
export const TASK_CPU_MAX = 196_608;
/** Docker refuses memory limits under 6 MiB (20.10+), so anything lower can never start. */
export const DOCKER_MIN_MEMORY_MIB = 6;

function convert(raw: string, field: string, unitPattern: RegExp, factor: number, example: string): number {
  const plain = RAW_NUMBER.exec(raw);
  if (plain !== null) return Number(plain[1]);
  const scaled = unitPattern.exec(raw);
  if (scaled === null) throw invalidParameter(field, `${JSON.stringify(raw)} is not valid: use ${example}.`);
  const value = Number(scaled[1]) * factor;
  if (!Number.isInteger(value)) {
    throw invalidParameter(field, `${JSON.stringify(raw)} is ${value} units, which is not a whole number.`);
  }
  return value;
}

/** "1 vCPU" / "1 vcpu" / ".25 vCPU" / "1024" -> CPU units. */
export function parseCpuUnits(raw: string, field: string): number {
  return convert(raw, field, VCPU, CPU_UNITS_PER_VCPU, 'CPU units such as "1024" or vCPUs such as "1 vCPU"');
}

/** "2 GB" / "2GB" / "0.5 GB" / "2048" -> MiB. */
export function parseMemoryMiB(raw: string, field: string): number {
  return convert(raw, field, GB, MIB_PER_GB, 'MiB such as "2048" or GB such as "2 GB"');
}

/** Normalizes and range-checks a task-level cpu string; returns the units as a string like ECS stores it. */
export function normalizeTaskCpu(raw: string, field: string): string {
  const units = parseCpuUnits(raw, field);
  if (units < TASK_CPU_MIN || units > TASK_CPU_MAX) {
    throw ecsRejection(field, "Invalid 'cpu' setting for task.", `must be between ${TASK_CPU_MIN} and ${TASK_CPU_MAX} CPU units, got ${units}`);
  }
  return String(units);
}

export function normalizeTaskMemory(raw: string, field: string): string {
  const mib = parseMemoryMiB(raw, field);
  if (mib < DOCKER_MIN_MEMORY_MIB) {
    throw ecsRejection(field, "Invalid 'memory' setting for task.", `must be at least ${DOCKER_MIN_MEMORY_MIB} MiB, got ${mib}`);
  }
  return String(mib);
}

interface FargateTier {
  cpu: number;
  memory: readonly number[];
  /** Windows Fargate only offers the 1, 2 and 4 vCPU tiers. */
  windows: boolean;
}

function steps(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let m = from; m <= to; m += step) out.push(m);
  return out;
}

/** ECS developer guide, "Task CPU and memory" (the 8 and 16 vCPU tiers need platform version 1.4.0). */
export const FARGATE_TIERS: readonly FargateTier[] = [
  { cpu: 256, memory: [512, 1024, 2048], windows: false },
  { cpu: 512, memory: steps(1024, 4096, 1024), windows: false },
  { cpu: 1024, memory: steps(2048, 8192, 1024), windows: true },
  { cpu: 2048, memory: steps(4096, 16384, 1024), windows: true },
  { cpu: 4096, memory: steps(8192, 30720, 1024), windows: true },
  { cpu: 8192, memory: steps(16384, 61440, 4096), windows: false },
  { cpu: 16384, memory: steps(32768, 122880, 8192), windows: false },
];

function fargateTiersFor(operatingSystemFamily: string | undefined): readonly FargateTier[] {
  const windows = operatingSystemFamily?.startsWith('WINDOWS') ?? false;
  return FARGATE_TIERS.filter((t) => !windows || t.windows);
}

export function isFargateSize(cpu: number, memory: number, operatingSystemFamily?: string): boolean {
  return fargateTiersFor(operatingSystemFamily).some((t) => t.cpu === cpu && t.memory.includes(memory));
}

export function isFargateCpu(cpu: number, operatingSystemFamily?: string): boolean {
  return fargateTiersFor(operatingSystemFamily).some((t) => t.cpu === cpu);
}

/** Lists the memory values Fargate accepts for a cpu value, to make the rejection actionable. */
export function describeFargateOptions(cpu: number, operatingSystemFamily?: string): string {
  const tiers = fargateTiersFor(operatingSystemFamily);
  const tier = tiers.find((t) => t.cpu === cpu);
  if (tier === undefined) return `Fargate task cpu must be one of ${tiers.map((t) => t.cpu).join(', ')}`;
  const m = tier.memory;
  const options = m.length > 4 ? `${m[0]}..${m[m.length - 1]} in steps of ${m[1]! - m[0]!}` : m.join(', ');
  return `with cpu ${cpu}, Fargate memory must be one of ${options} (MiB)`;
}
