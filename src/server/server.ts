import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { MlopsLanguageServer } from './mlopsLanguageServer';

// The transport (stdio with --stdio, node IPC when started by the extension) is chosen from argv.
new MlopsLanguageServer(createConnection(ProposedFeatures.all)).listen();
