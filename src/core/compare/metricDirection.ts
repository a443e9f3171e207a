/** Whether a smaller or a larger value of a metric is better. */
export type MetricDirection = 'min' | 'max';

// Matched against the metric name's words, so `val_loss`, `test/rmse` and `f1_macro` are recognised
// while `lossless_ratio` or `maestro` are not.
const minimised = new Set(['loss', 'error', 'err', 'rmse', 'mse', 'mae', 'mape', 'logloss', 'perplexity', 'wer', 'cer']);
const maximised = new Set(['accuracy', 'acc', 'f1', 'auc', 'r2', 'precision', 'recall', 'map', 'ap', 'iou', 'dice', 'bleu']);

/**
 * The direction a metric is optimised in, inferred from its name; undefined when the name says
 * nothing (then no best value is marked unless the user picks a direction).
 */
export function inferMetricDirection(name: string): MetricDirection | undefined {
  const words = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
  // The last recognised word wins: `accuracy_error` is an error, `loss_auc` an AUC.
  for (let i = words.length - 1; i >= 0; i--) {
    const word = words[i] ?? '';
    if (minimised.has(word)) return 'min';
    if (maximised.has(word)) return 'max';
  }
  if (/(loss|error|rmse|mae)$/.test(words.join(''))) return 'min';
  if (/(accuracy|f1|auc|r2|precision|recall)$/.test(words.join(''))) return 'max';
  return undefined;
}
