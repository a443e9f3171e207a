import type { Run, RunSource } from './model';

/** An experiment of a source with how many runs it has (deleted runs not counted). */
export interface ExperimentSummary {
  name: string;
  /** The store's id where it has one (MLflow). */
  id?: string;
  runs: number;
}

/**
 * Where a page ended: the start time and id of its last run. The next page holds the runs that
 * come after it in newest-first order, so a run logged between two pages neither repeats a run
 * nor pushes one out of the next page (it shows at the top on the next refresh).
 */
export interface RunCursor {
  /** ISO 8601; empty for a run without a start time (those come last). */
  startTime: string;
  id: string;
}

export interface RunPage {
  runs: Run[];
  /** Set when more runs follow this page. */
  next?: RunCursor;
}

/**
 * Reads a source experiment by experiment, one page of runs at a time, newest first. Sources that
 * can do this without reading every run implement it themselves (MLflow SQLite); others are served
 * from one full listing ({@link pagerFor}).
 */
export interface RunPager {
  experiments(signal?: AbortSignal): Promise<ExperimentSummary[]>;
  page(experiment: string, limit: number, after?: RunCursor, signal?: AbortSignal): Promise<RunPage>;
  /** Every run of the source, for a filter or a sort over all of them. */
  all(signal?: AbortSignal): Promise<Run[]>;
}

/** A source that reads pages itself. */
export interface PagedRunSource extends RunSource {
  experiments(signal?: AbortSignal): Promise<ExperimentSummary[]>;
  runsPage(experiment: string, limit: number, after?: RunCursor, signal?: AbortSignal): Promise<RunPage>;
}

export function isPagedSource(source: RunSource): source is PagedRunSource {
  const candidate = source as Partial<PagedRunSource>;
  return typeof candidate.experiments === 'function' && typeof candidate.runsPage === 'function';
}

/** Newest start time first; runs without one last; equal start times by id, descending. */
export function newestFirst(a: { startTime?: string; id: string }, b: { startTime?: string; id: string }): number {
  const x = a.startTime ?? '';
  const y = b.startTime ?? '';
  if (x !== y) {
    if (x === '') return 1;
    if (y === '') return -1;
    return x < y ? 1 : -1;
  }
  return a.id === b.id ? 0 : a.id < b.id ? 1 : -1;
}

export function cursorOf(run: { startTime?: string; id: string }): RunCursor {
  return { startTime: run.startTime ?? '', id: run.id };
}

/** Whether a run comes after the cursor in newest-first order. */
export function isAfter(run: { startTime?: string; id: string }, cursor: RunCursor): boolean {
  return newestFirst(run, { startTime: cursor.startTime || undefined, id: cursor.id }) > 0;
}

/** The page of `runs` (any order) of one experiment after `after`, newest first. */
export function pageOf(runs: readonly Run[], experiment: string, limit: number, after?: RunCursor): RunPage {
  const rest = runs.filter((run) => run.experiment === experiment && (!after || isAfter(run, after))).sort(newestFirst);
  const page = rest.slice(0, Math.max(1, limit));
  const last = page[page.length - 1];
  return rest.length > page.length && last ? { runs: page, next: cursorOf(last) } : { runs: page };
}

/** The experiments of a listing, in the order their newest runs came. */
export function experimentsOf(runs: readonly Run[]): ExperimentSummary[] {
  const found = new Map<string, ExperimentSummary>();
  for (const run of [...runs].sort(newestFirst)) {
    const summary = found.get(run.experiment) ?? { name: run.experiment, id: run.experimentId, runs: 0 };
    summary.runs++;
    found.set(run.experiment, summary);
  }
  return [...found.values()];
}

/**
 * The pager of a source: its own when it reads pages, else one over a single full listing
 * (read once, on the first call, and kept until the pager is dropped at the next refresh).
 */
export function pagerFor(source: RunSource): RunPager {
  if (isPagedSource(source)) {
    return {
      experiments: (signal) => source.experiments(signal),
      page: (experiment, limit, after, signal) => source.runsPage(experiment, limit, after, signal),
      all: (signal) => source.listRuns(signal),
    };
  }
  let listing: Promise<Run[]> | undefined;
  const all = (signal?: AbortSignal): Promise<Run[]> => {
    listing ??= source.listRuns(signal);
    return listing;
  };
  return {
    experiments: async (signal) => experimentsOf(await all(signal)),
    page: async (experiment, limit, after, signal) => pageOf(await all(signal), experiment, limit, after),
    all,
  };
}
