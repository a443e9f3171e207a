export { buildComparison, formatDelta, formatValue } from './comparison';
export type {
  Comparison,
  ComparisonColumn,
  ComparisonDelta,
  ComparisonOptions,
  ComparisonRow,
  ComparisonRowKind,
  ComparisonSort,
  ComparisonValue,
} from './comparison';
export { inferMetricDirection, type MetricDirection } from './metricDirection';
export { downsampleMinMax, historyBuckets, smoothEma } from './seriesReduction';
export { toCsv, toMarkdown } from './tableExport';
export { comparePanelHtml, panelContentSecurityPolicy, type PanelHtmlOptions } from './panelHtml';
export { runsFromCommandArguments } from './commandArguments';
