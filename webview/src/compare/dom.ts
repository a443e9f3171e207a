// Every piece of text from a run reaches the page through textContent or a text node, never as
// markup: run names, params, tags and metric keys come from files anyone can write.

export interface ElementProps {
  className?: string;
  text?: string;
  title?: string;
  /** Plain attributes (ARIA, ids, types). Never event handlers. */
  attrs?: Record<string, string | number | boolean | undefined>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: ElementProps = {},
  ...children: (Node | string | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === undefined || value === false) continue;
    if (/^on/i.test(name)) throw new Error(`refusing to set event attribute ${name}`);
    node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

let idCounter = 0;
/** A document-unique id for label/control pairs. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled control: `<label for>` plus the control, wrapped in a span. */
export function labelled(text: string, control: HTMLElement): HTMLSpanElement {
  control.id ||= uniqueId('control');
  return el('span', { className: 'field' }, el('label', { text, attrs: { for: control.id } }), control);
}

export function option(value: string, text: string, selected = false): HTMLOptionElement {
  const o = el('option', { text });
  o.value = value;
  o.selected = selected;
  return o;
}

/** A VS Code theme colour (a CSS variable), with a fallback outside the editor. */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(`--vscode-${name}`).trim();
  return value.length > 0 ? value : fallback;
}

/** One of VS Code's codicons (the font ships with the panel); decorative, so hidden from screen readers. */
export function codicon(name: string): HTMLSpanElement {
  return el('span', { className: `codicon codicon-${name}`, attrs: { 'aria-hidden': 'true' } });
}
