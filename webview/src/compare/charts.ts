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
  type Plugin,
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
 * Above this many curves a chart draws the runs itself, on the chart's canvas between Chart.js's
 * grid and its tooltip layer: Chart.js then holds only two invisible points that set its axes. Its
 * datasets cost a linear search per lookup and its merged-line segments a callback per point, so
 * 1,000 runs took it over a second to draw, 2,000 runs 200 ms to answer a hover.
 */
export const LAYER_CURVES_ABOVE = 100;

/** A run's curve as the layer draws it: its values, and its path in pixels for one scale. */
interface Curve {
  runId: string;
  label: string;
  color: string;
  xs: Float64Array;
  ys: Float64Array;
  /** The pixel path, made for the scales named by `pathFor`; re-used while they stay the same. */
  path?: Path2D;
  pathFor?: string;
}

/** Where the pointer is nearest a curve: the run and the value there (for the tooltip). */
export interface NearestCurve {
  curve: Curve;
  x: number;
  y: number;
  distance: number;
}

/** The index of the last x at or before `x` in an ascending array (-1 when `x` is before the first). */
function lastAtOrBefore(xs: Float64Array, x: number): number {
  let low = 0;
  let high = xs.length - 1;
  if (high < 0 || x < (xs[0] ?? 0)) return -1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((xs[mid] ?? 0) <= x) low = mid;
    else high = mid - 1;
  }
  return low;
}

const formatValue = (value: number): string => (Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value));

/** One metric's history for every run: a line per run, over step or wall-clock time. */
export class HistoryChart {
  private readonly chart: Chart<'line', XY[]>;
  /** Each run's points as drawn, with what they were made from: hiding or recolouring re-uses them. */
  private readonly made = new Map<string, { points: MetricPoint[]; smoothing: number; xAxis: string; shown: XY[]; curve: Curve }>();
  /** The curves the layer draws (empty when Chart.js draws the runs as datasets). */
  private curves: Curve[] = [];
  private logScale = false;
  private xAxis: 'step' | 'time' = 'step';
  /** The corners and scale options the layer's axes were last laid out for. */
  private layerAxes: string | undefined;
  private readonly tooltip: HTMLElement;

  constructor(
    canvas: HTMLCanvasElement,
    readonly metric: string,
    private readonly theme: ChartTheme,
  ) {
    const layer: Plugin<'line'> = {
      id: 'runCurves',
      afterDatasetsDraw: (chart) => this.drawCurves(chart),
    };
    this.chart = new Chart(canvas, {
      type: 'line',
      data: { datasets: [] },
      plugins: [layer],
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
          tooltip: { callbacks: { label: (item) => `${item.dataset.label ?? ''}: ${item.formattedValue}` } },
        },
      },
    });
    // The layer's tooltip: the nearest curve under the pointer, found by a binary search per run.
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'curve-tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    canvas.parentElement?.append(this.tooltip);
    canvas.addEventListener('mousemove', (event) => this.hover(event));
    canvas.addEventListener('mouseleave', () => (this.tooltip.hidden = true));
  }

  update(
    runs: readonly Run[],
    colors: ReadonlyMap<string, string>,
    series: ReadonlyMap<string, MetricPoint[]>,
    options: HistoryChartOptions,
  ): number {
    const shown: { label: string; color: string; data: XY[]; curve: Curve }[] = [];
    for (const run of runs) {
      const points = series.get(run.id);
      // A hidden run is left out rather than drawn hidden.
      if (!points || options.hidden.has(run.id)) continue;
      let made = this.made.get(run.id);
      if (!made || made.points !== points || made.smoothing !== options.smoothing || made.xAxis !== options.xAxis) {
        const smoothed = smoothEma(points, options.smoothing);
        const startTime = points[0]?.timestamp ?? 0;
        const data = smoothed.map((p) => ({ x: options.xAxis === 'step' ? p.step : (p.timestamp - startTime) / 1000, y: p.value }));
        made = {
          points,
          smoothing: options.smoothing,
          xAxis: options.xAxis,
          shown: data,
          curve: {
            runId: run.id,
            label: '',
            color: '',
            xs: Float64Array.from(data, (p) => p.x),
            ys: Float64Array.from(data, (p) => p.y),
          },
        };
        this.made.set(run.id, made);
      }
      made.curve.label = run.name || run.id;
      const color = colors.get(run.id) ?? '#888';
      made.curve.color = color;
      shown.push({ label: made.curve.label, color, data: made.shown, curve: made.curve });
    }
    const layer = shown.length > LAYER_CURVES_ABOVE;
    this.logScale = options.logScale;
    this.xAxis = options.xAxis;
    if (layer) {
      this.curves = shown.map((s) => s.curve);
      // Chart.js sets the axes from two invisible points at the corners of every curve.
      let xMin = Infinity;
      let xMax = -Infinity;
      let yMin = Infinity;
      let yMax = -Infinity;
      for (const curve of this.curves) {
        for (let i = 0; i < curve.xs.length; i++) {
          const x = curve.xs[i] ?? NaN;
          const y = curve.ys[i] ?? NaN;
          if (!Number.isFinite(x) || !Number.isFinite(y) || (options.logScale && y <= 0)) continue;
          if (x < xMin) xMin = x;
          if (x > xMax) xMax = x;
          if (y < yMin) yMin = y;
          if (y > yMax) yMax = y;
        }
      }
      // The same axes as the last draw (a run hidden inside them, a recolour): only the canvas is
      // drawn again, from the cached paths, without Chart.js laying out its scales.
      const axes = `${xMin},${xMax},${yMin},${yMax},${options.logScale},${options.xAxis}`;
      if (axes === this.layerAxes) {
        this.tooltip.hidden = true;
        this.chart.draw();
        return shown.length;
      }
      this.layerAxes = axes;
      const corners = Number.isFinite(xMin)
        ? [
            { x: xMin, y: yMin },
            { x: xMax, y: yMax },
          ]
        : [];
      this.chart.data.datasets = [
        { label: this.metric, data: corners, showLine: false, pointRadius: 0, pointHoverRadius: 0, borderWidth: 0 },
      ];
    } else {
      this.curves = [];
      this.layerAxes = undefined;
      this.chart.data.datasets = shown.map((s): ChartDataset<'line', XY[]> => ({
        label: s.label,
        data: s.data,
        borderColor: s.color,
        backgroundColor: s.color,
      }));
    }
    this.tooltip.hidden = true;
    this.chart.options.plugins = { ...this.chart.options.plugins, tooltip: { ...this.chart.options.plugins?.tooltip, enabled: !layer } };
    const scales = this.chart.options.scales ?? {};
    scales.y = { type: options.logScale ? 'logarithmic' : 'linear', ...axis(this.theme, this.metric) };
    scales.x = { type: 'linear', ...axis(this.theme, options.xAxis === 'step' ? 'step' : 'seconds since start') };
    this.chart.options.scales = scales;
    this.chart.update('none');
    return shown.length;
  }

  /** Draws the layer's curves inside the chart area, each from its cached path while the scales stay. */
  private drawCurves(chart: Chart): void {
    if (this.curves.length === 0) return;
    const { ctx, chartArea } = chart;
    const xScale = chart.scales.x;
    const yScale = chart.scales.y;
    if (!xScale || !yScale) return;
    const key = `${xScale.min},${xScale.max},${yScale.min},${yScale.max},${this.logScale},${chartArea.left},${chartArea.top},${chartArea.width},${chartArea.height}`;
    ctx.save();
    ctx.beginPath();
    ctx.rect(chartArea.left, chartArea.top, chartArea.width, chartArea.height);
    ctx.clip();
    ctx.lineWidth = 1;
    ctx.lineJoin = 'round';
    for (const curve of this.curves) {
      if (!curve.path || curve.pathFor !== key) {
        const path = new Path2D();
        let drawing = false;
        for (let i = 0; i < curve.xs.length; i++) {
          const x = curve.xs[i] ?? NaN;
          const y = curve.ys[i] ?? NaN;
          // A non-finite value (or one a log scale cannot show) breaks the line where the run broke.
          if (!Number.isFinite(x) || !Number.isFinite(y) || (this.logScale && y <= 0)) {
            drawing = false;
            continue;
          }
          const px = xScale.getPixelForValue(x);
          const py = yScale.getPixelForValue(y);
          if (drawing) path.lineTo(px, py);
          else path.moveTo(px, py);
          drawing = true;
        }
        curve.path = path;
        curve.pathFor = key;
      }
      ctx.strokeStyle = curve.color;
      ctx.stroke(curve.path);
    }
    ctx.restore();
  }

  /**
   * The curve nearest the pointer at its x (in pixels, vertically): per run a binary search for the
   * step under the pointer and the value between its neighbours, so 2,000 runs cost 2,000 searches.
   */
  nearest(offsetX: number, offsetY: number): NearestCurve | undefined {
    const xScale = this.chart.scales.x;
    const yScale = this.chart.scales.y;
    const area = this.chart.chartArea;
    if (!xScale || !yScale || this.curves.length === 0) return undefined;
    // A line on the chart's edge is half outside its area: a few pixels around it still count.
    const margin = 4;
    if (offsetX < area.left || offsetX > area.right || offsetY < area.top - margin || offsetY > area.bottom + margin) return undefined;
    const x = xScale.getValueForPixel(offsetX);
    if (x === undefined) return undefined;
    let best: NearestCurve | undefined;
    for (const curve of this.curves) {
      const at = lastAtOrBefore(curve.xs, x);
      if (at < 0) continue;
      const x0 = curve.xs[at] ?? NaN;
      const y0 = curve.ys[at] ?? NaN;
      const x1 = curve.xs[at + 1];
      const y1 = curve.ys[at + 1];
      // Past a run's last step it has no value to show.
      if (x1 === undefined || y1 === undefined) {
        if (x !== x0) continue;
      }
      const y = x1 === undefined || y1 === undefined || x1 === x0 ? y0 : y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
      if (!Number.isFinite(y) || (this.logScale && y <= 0)) continue;
      const distance = Math.abs(yScale.getPixelForValue(y) - offsetY);
      if (!best || distance < best.distance) {
        // The tooltip shows the logged point nearest the pointer, not an interpolated value.
        const nearer = x1 !== undefined && y1 !== undefined && x - x0 > x1 - x ? at + 1 : at;
        best = { curve, x: curve.xs[nearer] ?? x0, y: curve.ys[nearer] ?? y0, distance };
      }
    }
    return best;
  }

  private hover(event: MouseEvent): void {
    if (this.curves.length === 0) return;
    const found = this.nearest(event.offsetX, event.offsetY);
    if (!found) {
      this.tooltip.hidden = true;
      return;
    }
    const where = this.xAxis === 'step' ? `step ${formatValue(found.x)}` : `${formatValue(found.x)} s`;
    this.tooltip.textContent = `${found.curve.label}: ${formatValue(found.y)} (${where})`;
    this.tooltip.style.setProperty('--curve-color', found.curve.color);
    this.tooltip.hidden = false;
    const box = this.chart.canvas;
    const left = Math.min(event.offsetX + 12, box.clientWidth - this.tooltip.offsetWidth - 4);
    this.tooltip.style.left = `${Math.max(0, left)}px`;
    this.tooltip.style.top = `${Math.max(0, event.offsetY - this.tooltip.offsetHeight - 8)}px`;
  }

  get canvas(): HTMLCanvasElement {
    return this.chart.canvas;
  }

  destroy(): void {
    this.chart.destroy();
    this.tooltip.remove();
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
