// The portal's build: served by the gateway under /portal/, no CDN at run time.
// `npm run dev` proxies the API to a running platform (GATEWAY, default make run's);
// `vite preview` (the built portal, with its service worker) proxies it the same way.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { defineConfig } from 'vite';

const gateway = process.env.GATEWAY || 'http://127.0.0.1:8000';
// /portal/config.json: the gateway's (the tile URL), not a file of the build
const proxy = { '/api': gateway, '/healthz': gateway, '/portal/config.json': gateway };

/** Every file of the build, as paths under /portal/ (posix). */
function walk(dir, root = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return walk(path, root);
    return [relative(root, path).split(sep).join('/')];
  });
}

// The service worker's precache list and build id, written into dist/sw.js after the
// build: a new build is a new worker (browsers compare sw.js byte for byte) and a new
// shell cache, so a phone never keeps an old index.html that names gone assets.
function portalServiceWorker() {
  let outDir = 'dist';
  return {
    name: 'portal-sw',
    apply: 'build',
    configResolved(config) { outDir = config.build.outDir; },
    closeBundle() {
      const swPath = join(outDir, 'sw.js');
      const files = walk(outDir)
        .filter((f) => f !== 'sw.js' && !f.startsWith('.') && !f.endsWith('.map') && f !== 'asset-manifest.json')
        .sort();
      const raw = readFileSync(swPath, 'utf8');
      const hash = createHash('sha256').update(raw);   // the worker's own code, and every file it keeps
      for (const f of files) hash.update(f).update(readFileSync(join(outDir, f)));
      const build = hash.digest('hex').slice(0, 16);
      const list = ['', ...files];
      const source = raw
        .replace("'__PORTAL_BUILD__'", JSON.stringify(build))
        .replace('/*__PORTAL_PRECACHE__*/ null', JSON.stringify(list));
      writeFileSync(swPath, source);
    },
  };
}

export default defineConfig({
  base: '/portal/',
  plugins: [portalServiceWorker()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    // the Vite manifest: the service worker's fallback list of the shell's files
    manifest: 'asset-manifest.json',
    rollupOptions: {
      output: {
        // the map and the charts are big and change rarely: their own cached files
        manualChunks(id) {
          if (id.includes('node_modules/maplibre-gl')) return 'maplibre';
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts';
          return undefined;
        },
      },
    },
  },
  server: {
    port: Number(process.env.PORT || 5173),
    proxy,
  },
  preview: {
    port: Number(process.env.PORT || 4173),
    proxy,
  },
});
