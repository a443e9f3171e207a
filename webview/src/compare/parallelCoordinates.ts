import type { Run } from '../../../src/core/runs/model';
import type { ChartTheme } from './charts';

export interface ParallelAxis {
  /** Shown under the axis. */
  label: string;
  value(run: Run): string | number | boolean | null | undefined;
}

interface Scale {
  position(value: string | number | boolean | null | undefined): number | undefined;
  ticks: { at: number; text: string }[];
}

function scaleFor(axis: ParallelAxis, runs: readonly Run[]): Scale {
  const values = runs.map((r) => axis.value(r)).filter((v) => v !== undefined && v !== null);
  if (values.length > 0 && values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    const numbers = values as number[];
    const min = Math.min(...numbers);
    const max = Math.max(...numbers);
    const span = max - min || 1;
    const fmt = (n: number): string => String(Number(n.toPrecision(4)));
    return {
      position: (v) => (typeof v === 'number' && Number.isFinite(v) ? (v - min) / span : undefined),
      ticks: min === max ? [{ at: 0, text: fmt(min) }] : [0, 0.5, 1].map((at) => ({ at, text: fmt(min + at * span) })),
    };
  }
  // Text (or mixed) values: evenly spaced categories in natural order.
  const categories = [...new Set(values.map(String))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const step = categories.length > 1 ? 1 / (categories.length - 1) : 0;
  const index = new Map(categories.map((c, i) => [c, i]));
  return {
    position: (v) => (v === undefined || v === null ? undefined : (index.get(String(v)) ?? 0) * step),
    ticks: categories.length <= 12 ? categories.map((text, i) => ({ at: i * step, text })) : [],
  };
}

/**
 * Parallel coordinates drawn on a canvas (Chart.js has none): one vertical axis per chosen param
 * and the metric last, one polyline per run coloured by the metric, from low (cool) to high (warm).
 */
export class ParallelCoordinates {
  private runs: readonly Run[] = [];
  private axes: ParallelAxis[] = [];

  constructor(
    readonly canvas: HTMLCanvasElement,
    private theme: ChartTheme,
  ) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  update(runs: readonly Run[], axes: ParallelAxis[], theme: ChartTheme): void {
    this.runs = runs;
    this.axes = axes;
    this.theme = theme;
    this.draw();
  }

  draw(): void {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 280;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const g = canvas.getContext('2d');
    if (!g) return;
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    g.font = '11px sans-serif';
    g.fillStyle = this.theme.foreground;
    if (this.axes.length < 2) {
      g.fillText('Choose at least one param and a metric.', 12, 24);
      return;
    }
    const left = 40;
    const right = width - 40;
    const top = 24;
    const bottom = height - 36;
    const gap = (right - left) / (this.axes.length - 1);
    const scales = this.axes.map((a) => scaleFor(a, this.runs));
    const colour = scales[scales.length - 1];
    const metricAxis = this.axes[this.axes.length - 1];

    g.globalAlpha = this.runs.length > 200 ? 0.25 : 0.7;
    g.lineWidth = 1;
    for (const run of this.runs) {
      const t = metricAxis && colour ? colour.position(metricAxis.value(run)) : undefined;
      g.strokeStyle = t === undefined ? 'rgba(128,128,128,0.6)' : `hsl(${220 - 180 * t}, 70%, 55%)`;
      g.beginPath();
      let drawing = false;
      this.axes.forEach((a, i) => {
        const p = scales[i]?.position(a.value(run));
        if (p === undefined) {
          drawing = false;
          return;
        }
        const x = left + i * gap;
        const y = bottom - p * (bottom - top);
        if (drawing) g.lineTo(x, y);
        else g.moveTo(x, y);
        drawing = true;
      });
      g.stroke();
    }
    g.globalAlpha = 1;
    g.strokeStyle = this.theme.foreground;
    g.textAlign = 'center';
    this.axes.forEach((a, i) => {
      const x = left + i * gap;
      g.beginPath();
      g.moveTo(x, top);
      g.lineTo(x, bottom);
      g.stroke();
      g.fillText(a.label.length > 24 ? `${a.label.slice(0, 23)}…` : a.label, x, height - 14);
      g.textAlign = 'left';
      for (const tick of scales[i]?.ticks ?? []) g.fillText(tick.text, x + 4, bottom - tick.at * (bottom - top) + 4);
      g.textAlign = 'center';
    });
  }
}
