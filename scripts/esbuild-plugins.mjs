// esbuild plugins of the function bundles: serverless-esbuild loads this file
// (serverless.yml custom.esbuild.plugins); scripts/bundle-functions.mjs uses the same list.
import { compiledContractsPlugin } from './esbuild-contracts.mjs';

export default () => [compiledContractsPlugin()];
