/**
 * The revision `stevedore deploy` registers: a task definition file as is,
 * or a copy of the service's current revision with some images replaced.
 * Pure, so the refusals (unknown container, bad option) are tested alone and
 * always happen before anything is registered.
 */
import { CliError, EXIT_USAGE } from '../context';
import type { TaskDefinition } from '../ecs-types';
import { toRegisterRequest } from './task-definition-register';

/** `CONTAINER=IMAGE`, repeatable; the last one for a container wins. */
export function parseImageOverrides(values: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf('=');
    const name = v.slice(0, i).trim();
    const image = v.slice(i + 1).trim();
    if (i <= 0 || name === '' || image === '') throw new CliError(`--image expects CONTAINER=IMAGE, got '${v}'`, EXIT_USAGE);
    out.set(name, image);
  }
  return out;
}

/** A RegisterTaskDefinition request: `current` with the images replaced. Unknown containers are refused. */
export function withImages(current: TaskDefinition, tags: unknown[] | undefined, images: Map<string, string>): Record<string, unknown> {
  const names = current.containerDefinitions.map((c) => c.name);
  const unknown = [...images.keys()].filter((n) => !names.includes(n));
  if (unknown.length > 0) {
    const rev = `${current.family}:${current.revision}`;
    throw new CliError(`${rev} has no container named ${unknown.map((n) => `'${n}'`).join(', ')} (its containers: ${names.join(', ')}); nothing was registered`, EXIT_USAGE);
  }
  const req = toRegisterRequest({ taskDefinition: current, ...(tags && tags.length > 0 ? { tags } : {}) });
  req.containerDefinitions = current.containerDefinitions.map((c) => (images.has(c.name) ? { ...c, image: images.get(c.name)! } : c));
  return req;
}

/** A task definition file (plain request or `describe --output json`), parsed with a usage error on bad JSON. */
export function parseTaskDefinitionFile(file: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${file} is not valid JSON: ${(e as Error).message}`, EXIT_USAGE);
  }
  return toRegisterRequest(doc);
}
