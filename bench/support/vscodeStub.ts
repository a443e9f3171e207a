/**
 * The few parts of the `vscode` module the Pipelines tree uses, as plain classes, so a benchmark can
 * run the tree's own getChildren/getTreeItem outside the editor (and load the extension's bundle to
 * time its module loading). Imported first: it answers `require('vscode')` from then on.
 */
import Module from 'node:module';

export const workspaceFolders: { uri: { scheme: string; fsPath: string } }[] = [];

class EventEmitter {
  private readonly listeners: ((e: unknown) => void)[] = [];
  readonly event = (listener: (e: unknown) => void): { dispose(): void } => {
    this.listeners.push(listener);
    return { dispose: () => undefined };
  };
  fire(e: unknown): void {
    for (const l of this.listeners) l(e);
  }
  dispose(): void {
    this.listeners.length = 0;
  }
}

class MarkdownString {
  value = '';
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text;
    return this;
  }
  appendCodeblock(code: string, lang = ''): this {
    this.value += `\n\`\`\`${lang}\n${code}\n\`\`\`\n`;
    return this;
  }
}

const stub = {
  EventEmitter,
  MarkdownString,
  TreeItem: class {
    constructor(
      public label: string,
      public collapsibleState?: number,
    ) {}
  },
  ThemeIcon: class {
    constructor(
      public id: string,
      public color?: unknown,
    ) {}
  },
  ThemeColor: class {
    constructor(public id: string) {}
  },
  TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
  Uri: { file: (path: string) => ({ scheme: 'file', fsPath: path }) },
  workspace: {
    get workspaceFolders() {
      return workspaceFolders;
    },
    asRelativePath: (path: string) => path,
  },
  commands: { executeCommand: async () => undefined },
};

// Anything else (the language client's base classes, when the whole bundle is loaded) is an empty class.
const others = new Map<string | symbol, unknown>();
const vscode = new Proxy(stub as Record<string | symbol, unknown>, {
  get(target, name) {
    if (name in target) return target[name];
    if (!others.has(name)) others.set(name, class {});
    return others.get(name);
  },
});

const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
(Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load = function (request: string, ...rest: unknown[]) {
  if (request === 'vscode') return vscode;
  return load.call(this, request, ...rest);
};
