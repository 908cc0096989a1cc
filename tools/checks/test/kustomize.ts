import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

type Tree = Record<string, unknown>;

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: { name: string; newName?: string; newTag?: string }[];
  replicas?: { name: string; count: number }[];
  patches?: { path: string }[];
}

/** The fields of a kustomization.yaml this renderer applies; any other one fails the render. */
const UNDERSTOOD = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'images',
  'replicas',
  'patches',
]);

/** Kinds that live outside namespaces (kustomize's `namespace:` leaves them alone). */
const CLUSTER_SCOPED = new Set(['Namespace']);

export function readYaml(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => {
    if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]!.message}`);
    return document.toJS() as Resource;
  });
}

/**
 * `kustomize build` for the subset our kustomizations use — resources
 * (files and directories), namespace, images, replicas and strategic merge
 * patches without lists — so that the manifests are checked where no
 * kustomize binary is installed. A kustomization using anything else fails
 * here rather than being rendered wrong.
 */
export function renderKustomization(directory: string): Resource[] {
  const file = join(directory, 'kustomization.yaml');
  const spec = readYaml(file)[0] as unknown as Kustomization;
  const unknown = Object.keys(spec).filter((field) => !UNDERSTOOD.has(field));
  if (unknown.length > 0)
    throw new Error(`${file}: this renderer does not apply ${unknown.join(', ')}`);

  const resources: Resource[] = [];
  for (const entry of spec.resources ?? []) {
    const path = join(directory, entry);
    if (existsSync(path) && statSync(path).isDirectory())
      resources.push(...renderKustomization(path));
    else resources.push(...readYaml(path));
  }
  for (const patch of spec.patches ?? []) {
    for (const change of readYaml(join(directory, patch.path))) {
      const target = resources.find(
        (resource) =>
          resource.kind === change.kind && resource.metadata.name === change.metadata.name,
      );
      if (!target)
        throw new Error(`${patch.path}: no ${change.kind} ${change.metadata.name} to patch`);
      mergeInto(target as unknown as Tree, change as unknown as Tree, `${patch.path}: `);
    }
  }
  for (const resource of resources) {
    if (spec.namespace !== undefined && !CLUSTER_SCOPED.has(resource.kind))
      resource.metadata.namespace = spec.namespace;
    const replicas = spec.replicas?.find((entry) => entry.name === resource.metadata.name);
    if (replicas && resource.kind === 'Deployment')
      (resource.spec as Tree).replicas = replicas.count;
    for (const container of containers(resource)) {
      const [name, tag] = splitImage(container.image);
      const image = spec.images?.find((entry) => entry.name === name);
      if (image) container.image = `${image.newName ?? name}:${image.newTag ?? tag}`;
    }
  }
  for (const entry of spec.replicas ?? [])
    if (!resources.some((r) => r.kind === 'Deployment' && r.metadata.name === entry.name))
      throw new Error(`${file}: replicas of an unknown Deployment ${entry.name}`);
  return resources;
}

export interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number }[];
}

export function containers(resource: Resource): Container[] {
  if (resource.kind !== 'Deployment') return [];
  const template = (
    resource.spec as { template: { spec: { containers: { name: string; image: string }[] } } }
  ).template;
  return template.spec.containers;
}

function splitImage(image: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/')
    ? [image.slice(0, colon), image.slice(colon + 1)]
    : [image, 'latest'];
}

/** A strategic merge patch of maps: lists would need their merge keys, so they are refused. */
function mergeInto(target: Tree, patch: Tree, where: string): void {
  for (const [key, value] of Object.entries(patch)) {
    if (Array.isArray(value))
      throw new Error(`${where}patches with lists (${key}) are not supported`);
    const current = target[key];
    if (
      value !== null &&
      typeof value === 'object' &&
      current !== null &&
      typeof current === 'object'
    )
      mergeInto(current as Tree, value as Tree, where);
    else target[key] = value;
  }
}
