/**
 * The one message protocol between the compare panel (webview) and the extension host. Both sides
 * import this module; no other `postMessage` shape exists.
 */
export interface CompareRun {
  id: string;
  source: string;
  name: string;
  params: Record<string, string | number | boolean | null>;
  metrics: Record<string, number>;
}

export type HostToWebview = { type: 'snapshot'; runs: CompareRun[] };

export type WebviewToHost = { type: 'ready' };
