// The compare panel's script. It renders what the host sends; it never evaluates data as code.
import type { HostToWebview, WebviewToHost } from '../../src/shared/compareProtocol';

declare function acquireVsCodeApi(): { postMessage(message: WebviewToHost): void; getState(): unknown; setState(state: unknown): void };

const vscodeApi = acquireVsCodeApi();
const root = document.getElementById('root');

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const message = event.data;
  if (message.type === 'snapshot' && root) {
    root.textContent = `${message.runs.length} runs`;
  }
});
vscodeApi.postMessage({ type: 'ready' });
