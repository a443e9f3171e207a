import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { smoothEma } from '../../../src/core/compare/seriesReduction';
import type { MetricPoint, Run } from '../../../src/core/runs/model';
import { themeColor } from './dom';

// Only what the panel draws, so the bundle stays small.
Chart.register(
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  BarController,
  BarElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Tooltip,
);

export interface ChartTheme {
  foreground: string;
  grid: string;
  background: string;
  palette: string[];
}

export function readTheme(): ChartTheme {
  const palette = ['blue', 'orange', 'green', 'red', 'purple', 'yellow'].map((name, i) =>
    themeColor(`charts-${name}`, ['#3794ff', '#d18616', '#89d185', '#f14c4c', '#b180d7', '#cca700'][i] ?? '#888'),
  );
  return {
    foreground: themeColor('foreground', '#cccccc'),
    grid: themeColor('editorWidget-border', 'rgba(128,128,128,0.35)'),
    background: themeColor('editor-background', '#1e1e1e'),
    palette,
  };
}

/** A run's colour: the theme's chart colours first, then evenly spread hues. */
export function runColor(theme: ChartTheme, index: number): string {
  const fromTheme = theme.palette[index];
  if (fromTheme) return fromTheme;
  return `hsl(${(index * 137.508) % 360}, 65%, 55%)`;
}

function baseOptions(theme: ChartTheme) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    color: theme.foreground,
    plugins: { tooltip: { enabled: true } },
  };
}

function axis(theme: ChartTheme, title: string) {
  return {
    title: { display: true, text: title, color: theme.foreground },
    ticks: { color: theme.foreground },
    grid: { color: theme.grid },
  };
}

export interface HistoryChartOptions {
  smoothing: number;
  logScale: boolean;
  xAxis: 'step' | 'time';
  hidden: ReadonlySet<string>;
}

type XY = { x: number; y: number };

/**
 * Above this many curves a chart draws every run as one Chart.js dataset (runs apart by a gap, each
 * segment in its run's colour): Chart.js looks datasets up by a linear search, so 2,000 datasets
 * cost it millions of comparisons per redraw, while one dataset of 44,000 points does not.
 */
export const MERGE_CURVES_ABOVE = 100;
const GAP: XY = { x: NaN, y: NaN };

/** One metric's history for every run: a line per run, over step or wall-clock time. */
export class HistoryChart {
  private readonly chart: Chart<'line', XY[]>;
  /** Each run's dataset with what it was made from: showing, hiding or recolouring re-uses it. */
  private readonly made = new Map<
    string,
    { points: MetricPoint[]; smoothing: number; xAxis: string; dataset: ChartDataset<'line', XY[]> }
  >();
  /** In the merged dataset: the run name and colour of each point. */
  private pointRuns: string[] = [];
  private pointColors: string[] = [];

  constructor(
    canvas: HTMLCanvasElement,
    readonly metric: string,
    private readonly theme: ChartTheme,
  ) {
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      options: {
        ...baseOptions(theme),
        parsing: false,
        normalized: true,
        // Lines of many runs draw faster unsplit; a history has no gaps to show.
        spanGaps: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        elements: { point: { radius: 0 }, line: { borderWidth: 1.5 } },
        scales: { x: { type: 'linear', ...axis(theme, 'step') }, y: { type: 'linear', ...axis(theme, metric) } },
        plugins: {
          // The legend is the panel's run list beside the charts (RunLegend), for any number of runs.
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) =>
                `${this.pointRuns.length > 0 ? (this.pointRuns[item.dataIndex] ?? '') : (item.dataset.label ?? '')}: ${item.formattedValue}`,
            },
          },
        },
      },
    });
  }

  update(
    runs: readonly Run[],
    colors: ReadonlyMap<string, string>,
    series: ReadonlyMap<string, MetricPoint[]>,
    options: HistoryChartOptions,
  ): number {
    const datasets: ChartDataset<'line', XY[]>[] = [];
    for (const run of runs) {
      const points = series.get(run.id);
      // A hidden run is left out rather than drawn hidden: with 2,000 runs every dataset counts on hover.
      if (!points || options.hidden.has(run.id)) continue;
      const color = colors.get(run.id) ?? '#888';
      let made = this.made.get(run.id);
      if (!made || made.points !== points || made.smoothing !== options.smoothing || made.xAxis !== options.xAxis) {
        const shown = smoothEma(points, options.smoothing);
        const startTime = points[0]?.timestamp ?? 0;
        made = {
          points,
          smoothing: options.smoothing,
          xAxis: options.xAxis,
          dataset: {
            label: run.name || run.id,
            data: shown.map((p) => ({ x: options.xAxis === 'step' ? p.step : (p.timestamp - startTime) / 1000, y: p.value })),
          },
        };
        this.made.set(run.id, made);
      }
      made.dataset.label = run.name || run.id;
      made.dataset.borderColor = color;
      made.dataset.backgroundColor = color;
      datasets.push(made.dataset);
    }
    const merge = datasets.length > MERGE_CURVES_ABOVE;
    this.pointRuns = [];
    this.pointColors = [];
    if (merge) {
      const data: XY[] = [];
      for (const dataset of datasets) {
        const color = String(dataset.borderColor);
        for (const point of dataset.data) {
          data.push(point);
          this.pointRuns.push(dataset.label ?? '');
          this.pointColors.push(color);
        }
        data.push(GAP);
        this.pointRuns.push('');
        this.pointColors.push(color);
      }
      const colorAt = this.pointColors;
      this.chart.data.datasets = [
        {
          label: this.metric,
          data,
          spanGaps: false,
          borderWidth: 1,
          segment: { borderColor: (context) => colorAt[context.p0DataIndex] },
        },
      ];
    } else this.chart.data.datasets = datasets;
    // One merged dataset goes back to the first step for each run, so its x values are not sorted.
    this.chart.options.normalized = !merge;
    // A few runs: the tooltip lists each run at the step under the pointer; many: the nearest curve only.
    this.chart.options.interaction = { mode: 'nearest', axis: merge ? 'xy' : 'x', intersect: false };
    const scales = this.chart.options.scales ?? {};
    scales.y = { type: options.logScale ? 'logarithmic' : 'linear', ...axis(this.theme, this.metric) };
    scales.x = { type: 'linear', ...axis(this.theme, options.xAxis === 'step' ? 'step' : 'seconds since start') };
    this.chart.options.scales = scales;
    this.chart.update('none');
    return datasets.length;
  }

  get canvas(): HTMLCanvasElement {
    return this.chart.canvas;
  }

  destroy(): void {
    this.chart.destroy();
  }
}

export interface ScatterPoint {
  x: number;
  y: number;
  run: Run;
  color: string;
}

/** A param (or metric) against a metric, one point per run; text params become categories. */
export class ScatterChart {
  private readonly chart: Chart<'scatter', ScatterPoint[]>;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly theme: ChartTheme,
  ) {
    this.chart = new Chart(canvas, {
      type: 'scatter',
      data: { datasets: [] },
      options: {
        ...baseOptions(theme),
        parsing: false,
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: (item) => {
                const p = item.raw as ScatterPoint;
                return `${p.run.name || p.run.id}: ${item.formattedValue}`;
              },
            },
          },
        },
      },
    });
  }

  update(points: ScatterPoint[], xTitle: string, yTitle: string, categories: string[] | undefined): void {
    this.chart.data.datasets = [
      { data: points, pointBackgroundColor: points.map((p) => p.color), pointBorderColor: points.map((p) => p.color), pointRadius: 4 },
    ];
    const xAxis = axis(this.theme, xTitle);
    this.chart.options.scales = {
      x: {
        type: 'linear',
        ...xAxis,
        ticks: {
          color: this.theme.foreground,
          ...(categories ? { stepSize: 1, callback: (value: string | number) => categories[Number(value)] ?? '' } : {}),
        },
      },
      y: { type: 'linear', ...axis(this.theme, yTitle) },
    };
    this.chart.update('none');
  }

  get canvas(): HTMLCanvasElement {
    return this.chart.canvas;
  }
}

/** One metric across runs, the best bar in the theme's highlight colour. */
export class BarChart {
  private readonly chart: Chart<'bar', number[], string>;

  constructor(
    canvas: HTMLCanvasElement,
    private readonly theme: ChartTheme,
  ) {
    this.chart = new Chart(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: { ...baseOptions(theme), plugins: { legend: { display: false } } },
    });
  }

  update(labels: string[], values: number[], colors: string[], metric: string): void {
    this.chart.data.labels = labels;
    this.chart.data.datasets = [{ label: metric, data: values, backgroundColor: colors }];
    this.chart.options.scales = { x: { type: 'category', ...axis(this.theme, 'run') }, y: { type: 'linear', ...axis(this.theme, metric) } };
    this.chart.update('none');
  }

  get canvas(): HTMLCanvasElement {
    return this.chart.canvas;
  }
}

/** A chart as a PNG data URL on the theme's background (a transparent PNG is unreadable in dark themes). */
export function canvasToPng(canvas: HTMLCanvasElement, background: string): string {
  const copy = document.createElement('canvas');
  copy.width = canvas.width;
  copy.height = canvas.height;
  const context = copy.getContext('2d');
  if (!context) return canvas.toDataURL('image/png');
  context.fillStyle = background;
  context.fillRect(0, 0, copy.width, copy.height);
  context.drawImage(canvas, 0, 0);
  return copy.toDataURL('image/png');
}
