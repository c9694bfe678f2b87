import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';

export interface StaticAsset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
};
const NAME = /^[a-z0-9][a-z0-9-]*\.(html|css|js)$/;
/** The page's file name for the library (its npm build that defines the global LightweightCharts). */
export const LIBRARY_ASSET = 'lightweight-charts.js';

/** Where the built page is: beside this module in dist/, or the package's dist/ when run from src/ (tests). */
export function defaultPageDir(): string {
  const beside = path.join(__dirname, 'page');
  if (existsSync(path.join(beside, 'main.js'))) return beside;
  return path.resolve(__dirname, '../../dist/chart/page');
}

function asset(file: string): StaticAsset {
  const body = readFileSync(file);
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type: TYPES[path.extname(file)],
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
  };
}

/**
 * The chart page's files, read once into memory (with a gzip copy) from a closed list: the built
 * page's own .html/.css/.js files and lightweight-charts' standalone build from node_modules. A
 * request names an entry of that list or gets nothing; no request path ever reaches the file
 * system, so there is nothing to traverse.
 */
export class StaticAssets {
  private constructor(private readonly assets: ReadonlyMap<string, StaticAsset>) {}

  static load(pageDir: string): StaticAssets {
    const assets = new Map<string, StaticAsset>();
    for (const name of readdirSync(pageDir).sort()) {
      if (NAME.test(name) && name !== LIBRARY_ASSET) assets.set(name, asset(path.join(pageDir, name)));
    }
    if (!assets.has('index.html') || !assets.has('main.js')) throw new Error(`no built chart page in ${pageDir} (index.html, main.js)`);
    // The package's exports hide dist/, but not package.json: resolve that and go from there.
    const library = path.join(path.dirname(require.resolve('lightweight-charts/package.json')), 'dist', 'lightweight-charts.standalone.production.js');
    assets.set(LIBRARY_ASSET, asset(library));
    return new StaticAssets(assets);
  }

  get(name: string): StaticAsset | undefined {
    return this.assets.get(name);
  }

  /** Names and sizes (raw and gzipped), for the page-weight benchmark. */
  sizes(): { name: string; bytes: number; gzipBytes: number }[] {
    return [...this.assets].map(([name, a]) => ({ name, bytes: a.body.length, gzipBytes: a.gzip.length }));
  }
}
