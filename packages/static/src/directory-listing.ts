/**
 * Directory listings: the entries of one directory (name, kind, size, mtime), sorted
 * (directories first, then by name), rendered as an HTML page with every name escaped
 * and every link percent-encoded, or as JSON. Must never list what the dotfiles or
 * symlink policy would refuse to serve.
 */

import fsp from 'node:fs/promises';
import { escapeHtml } from '@sluice/core';

/** One line of a listing. */
export interface ListingEntry {
  readonly name: string;
  readonly type: 'file' | 'directory';
  /** Size in bytes (0 for directories). */
  readonly size: number;
  /** Last modification, ISO 8601. */
  readonly mtime: string;
}

/** What may appear in a listing. */
export interface ListingPolicy {
  readonly showDotfiles: boolean;
  /** Returns false for a path reached through a symlink leading outside the root. */
  readonly insideRoot: (path: string) => Promise<boolean>;
  readonly maxEntries: number;
}

/** Reads the directory at `path` into sorted entries (at most `policy.maxEntries`). */
export async function readListing(path: string, policy: ListingPolicy): Promise<{ entries: ListingEntry[]; truncated: boolean }> {
  const dirents = await fsp.readdir(path, { withFileTypes: true });
  const entries: ListingEntry[] = [];
  let truncated = false;
  for (const dirent of dirents) {
    if (!policy.showDotfiles && dirent.name.startsWith('.')) continue;
    if (entries.length >= policy.maxEntries) {
      truncated = true;
      break;
    }
    const full = `${path}/${dirent.name}`;
    if (dirent.isSymbolicLink() && !(await policy.insideRoot(full))) continue;
    let stats;
    try {
      stats = await fsp.stat(full);
    } catch {
      continue; // vanished or a dangling symlink: nothing to link to
    }
    if (!stats.isFile() && !stats.isDirectory()) continue;
    entries.push({
      name: dirent.name,
      type: stats.isDirectory() ? 'directory' : 'file',
      size: stats.isDirectory() ? 0 : stats.size,
      mtime: stats.mtime.toISOString(),
    });
  }
  entries.sort((a, b) => (a.type === b.type ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.type === 'directory' ? -1 : 1));
  return { entries, truncated };
}

function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** An HTML page listing `entries` of the directory shown at `urlPath` (decoded, ending in `/`). */
export function renderListingHtml(urlPath: string, entries: readonly ListingEntry[], truncated: boolean): string {
  const title = escapeHtml(`Index of ${urlPath}`);
  const rows = entries.map((entry) => {
    const slash = entry.type === 'directory' ? '/' : '';
    const href = encodeURIComponent(entry.name) + slash;
    const size = entry.type === 'directory' ? '-' : humanSize(entry.size);
    return `<tr><td><a href="./${escapeHtml(href)}">${escapeHtml(entry.name + slash)}</a></td><td>${size}</td><td><time datetime="${entry.mtime}">${entry.mtime.replace('T', ' ').slice(0, 19)}</time></td></tr>`;
  });
  const parent = urlPath === '/' ? '' : '<tr><td><a href="../">../</a></td><td></td><td></td></tr>';
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>\n` +
    `<table><thead><tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr></thead><tbody>\n${parent}${rows.join('\n')}\n</tbody></table>` +
    `${truncated ? '\n<p>Listing truncated.</p>' : ''}\n</body></html>\n`;
}
