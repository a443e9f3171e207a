/** What the compare panel's page needs from its host: where the bundle and style live, and a nonce. */
export interface PanelHtmlOptions {
  /** The webview's `cspSource` (the origin its resources are served from). */
  cspSource: string;
  /** A fresh random nonce for this render. */
  nonce: string;
  scriptUri: string;
  styleUri: string;
  /** VS Code's icon font stylesheet (`codicon.css`, with `codicon.ttf` beside it). */
  codiconsUri: string;
  title: string;
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Content-Security-Policy of the panel: nothing but the built bundle, its style and images. */
export function panelContentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

/**
 * The panel's page. It holds no data: everything arrives as a typed snapshot after the script says
 * `ready`, so nothing from a run can reach the markup.
 */
export function comparePanelHtml(options: PanelHtmlOptions): string {
  const nonce = escapeAttribute(options.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(panelContentSecurityPolicy(options.cspSource, options.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${escapeAttribute(options.codiconsUri)}">
<link rel="stylesheet" nonce="${nonce}" href="${escapeAttribute(options.styleUri)}">
<title>${escapeAttribute(options.title)}</title>
</head>
<body>
<main id="root" aria-busy="true"><p class="loading">Loading runs…</p></main>
<script nonce="${nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>
`;
}
