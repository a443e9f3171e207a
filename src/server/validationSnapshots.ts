import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { dvcSnapshot, restoreDvcSnapshot } from '../core/validation/dvcIncremental';

/** How long after a file's last validation its snapshot is written (typing writes it once). */
const SAVE_DELAY_MS = 2000;

/** Snapshots kept in the folder; the oldest go first. */
const MAX_SNAPSHOTS = 200;

/**
 * The stage-by-stage state of each validated dvc.yaml, kept in a folder of the extension's storage
 * between sessions, so the first validation after a restart checks only the stages that changed
 * since (most often none). A snapshot holds findings, parsed stages and hashes of texts, never the
 * texts; it is used only when the file, its stages and the files they read hash the same, and only
 * by the same build of the server (the hash of its own code is part of the file), so an update
 * never reads another build's findings. A missing, unreadable or foreign file is ignored.
 */
export class ValidationSnapshots {
  private readonly tried = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** The hash of the last snapshot written for each file. */
  private readonly written = new Map<string, string>();
  private build: Promise<string | undefined> | undefined;
  private pruned = false;
  private failed = false;

  constructor(
    private readonly folder: string,
    private readonly codeFile: string,
    /** Where a restored snapshot, or one that could not be written, is told. */
    private readonly log: (message: string) => void,
  ) {}

  /** Before the first validation of `path` in this process: takes up its snapshot, if there is one. */
  async restore(path: string): Promise<void> {
    if (this.tried.has(path)) return;
    this.tried.add(path);
    try {
      const text = await fs.readFile(this.fileOf(path), 'utf8');
      const stored = JSON.parse(text) as { build?: unknown; snapshot?: unknown };
      const build = await this.buildId();
      if (build !== undefined && stored.build === build && restoreDvcSnapshot(stored.snapshot))
        this.log(`validation of ${path} continues stage by stage from the last session`);
    } catch {
      // No snapshot yet, or one that cannot be read: the file is validated whole.
    }
  }

  /** After a validation of `path`: its snapshot is written once validations pause. */
  saveSoon(path: string): void {
    const timer = this.timers.get(path);
    if (timer) clearTimeout(timer);
    this.timers.set(
      path,
      setTimeout(() => void this.save(path), SAVE_DELAY_MS),
    );
  }

  /** Writes every snapshot still waiting (on shutdown). */
  async flush(): Promise<void> {
    const paths = [...this.timers.keys()];
    for (const timer of this.timers.values()) clearTimeout(timer);
    await Promise.all(paths.map((path) => this.save(path)));
  }

  private async save(path: string): Promise<void> {
    this.timers.delete(path);
    const snapshot = dvcSnapshot(path);
    const build = await this.buildId();
    if (snapshot === undefined || build === undefined) return;
    // The workspace pull validates closed files again after every change elsewhere: a snapshot
    // the same as the one written last is not written again.
    const content = JSON.stringify({ build, snapshot });
    const digest = createHash('sha256').update(content).digest('base64');
    if (this.written.get(path) === digest) return;
    try {
      await fs.mkdir(this.folder, { recursive: true });
      const file = this.fileOf(path);
      // Written beside and renamed over, so a reader never sees half a file.
      const partial = `${file}.${process.pid}.tmp`;
      await fs.writeFile(partial, content);
      await fs.rename(partial, file);
      this.written.set(path, digest);
      if (!this.pruned) {
        this.pruned = true;
        await this.prune();
      }
    } catch (error) {
      // Said once: a folder that cannot be written to stays so, and validation works without it.
      if (!this.failed) this.log(`validation snapshots cannot be kept in ${this.folder}: ${String((error as Error)?.message ?? error)}`);
      this.failed = true;
    }
  }

  private async prune(): Promise<void> {
    const names = (await fs.readdir(this.folder)).filter((name) => name.endsWith('.json'));
    if (names.length <= MAX_SNAPSHOTS) return;
    const dated = await Promise.all(
      names.map(async (name) => ({ name, mtime: (await fs.stat(join(this.folder, name)).catch(() => undefined))?.mtimeMs ?? 0 })),
    );
    dated.sort((a, b) => a.mtime - b.mtime);
    for (const { name } of dated.slice(0, dated.length - MAX_SNAPSHOTS)) await fs.rm(join(this.folder, name), { force: true });
  }

  private fileOf(path: string): string {
    return join(this.folder, `${createHash('sha256').update(path).digest('hex').slice(0, 32)}.json`);
  }

  /** The hash of the server's own code (snapshots of another build are not read); undefined: none are kept. */
  private buildId(): Promise<string | undefined> {
    this.build ??= fs.readFile(this.codeFile).then(
      (code) => createHash('sha256').update(code).digest('base64'),
      () => undefined,
    );
    return this.build;
  }
}
