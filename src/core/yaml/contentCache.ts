/**
 * Results computed from a file's text, kept while the text stays the same. A language server asks
 * for the same parse many times (diagnostics, the files a document depends on, hover, completion),
 * and a dvc.yaml's params file is read by every validation; comparing the text is a few
 * microseconds where parsing it again is tens of milliseconds. Entries are keyed by path, so an
 * edited file replaces its own entry, and the oldest entry goes when the cache is full.
 *
 * What it hands out is shared: callers must treat it as read-only.
 */
export class ContentCache<T> {
  private readonly entries = new Map<string, { text: string; value: T }>();

  constructor(private readonly limit: number) {}

  get(key: string, text: string, compute: () => T): T {
    const hit = this.entries.get(key);
    if (hit !== undefined && hit.text === text) {
      // Most recently used last, so the first entry is the one to evict.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = compute();
    this.entries.delete(key);
    this.entries.set(key, { text, value });
    if (this.entries.size > this.limit) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    return value;
  }

  /** Whether `key` is held for exactly `text` (for tests). */
  has(key: string, text: string): boolean {
    return this.entries.get(key)?.text === text;
  }

  clear(): void {
    this.entries.clear();
  }
}
