import type Docker from 'dockerode';
import { BUILT_BY_LABEL, REVISION_LABEL, RUN_LABEL, STAGE_LABEL } from './imageTags';

/** Local images as the Images view shows them: built here (by label) or all of them. */
export interface LocalImage {
  id: string;
  /** "name:tag" references; empty for a dangling image. */
  tags: string[];
  size: number;
  created: Date;
  commit?: string;
  run?: string;
  stage?: string;
  builtHere: boolean;
}

export async function listLocalImages(docker: Docker, all: boolean): Promise<LocalImage[]> {
  const options = all ? {} : { filters: JSON.stringify({ label: [`${BUILT_BY_LABEL}=true`] }) };
  const infos = await docker.listImages(options as Docker.ListImagesOptions);
  return infos
    .map((info) => {
      const labels = info.Labels ?? {};
      return {
        id: info.Id,
        tags: (info.RepoTags ?? []).filter((t) => t !== '<none>:<none>'),
        size: info.Size,
        created: new Date(info.Created * 1000),
        commit: labels[REVISION_LABEL],
        run: labels[RUN_LABEL],
        stage: labels[STAGE_LABEL],
        builtHere: labels[BUILT_BY_LABEL] === 'true',
      };
    })
    .sort((a, b) => b.created.getTime() - a.created.getTime());
}

/** "812 B", "4.2 MB", "1.3 GB" (decimal units, as docker images prints). */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "just now", "5 minutes ago", "3 days ago". */
export function formatAge(created: Date, now = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - created.getTime()) / 1000));
  const steps: [number, string][] = [
    [60 * 60 * 24 * 365, 'year'],
    [60 * 60 * 24 * 30, 'month'],
    [60 * 60 * 24 * 7, 'week'],
    [60 * 60 * 24, 'day'],
    [60 * 60, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of steps) {
    const count = Math.floor(seconds / size);
    if (count >= 1) return `${count} ${name}${count === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

/** "a 1.2 MB image, built 5 minutes ago from abc1234" for the tree's description. */
export function describeImage(image: LocalImage, now = new Date()): string {
  const parts = [formatSize(image.size), formatAge(image.created, now)];
  if (image.commit) parts.push(image.commit.slice(0, 7) + (image.commit.endsWith('-dirty') ? '-dirty' : ''));
  return parts.join(' · ');
}

/** Parses "8080:80, 9000:9000/udp" into the Engine's port bindings (host side bound to 127.0.0.1). */
export function parsePorts(text: string): {
  exposed: Record<string, object>;
  bindings: Record<string, { HostIp: string; HostPort: string }[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const part of text
    .split(/[,\s]+/)
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = /^(?:(\d{1,5}):)?(\d{1,5})(\/(tcp|udp))?$/.exec(part);
    if (!match) throw new Error(`"${part}" is not a port mapping: use HOST:CONTAINER, like 8080:80.`);
    const key = `${match[2]}/${match[4] ?? 'tcp'}`;
    exposed[key] = {};
    bindings[key] = [{ HostIp: '127.0.0.1', HostPort: match[1] ?? match[2] ?? '' }];
  }
  return { exposed, bindings };
}
