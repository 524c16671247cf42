// The portal's build: served by the gateway under /portal/, no CDN at run time.
// `npm run dev` proxies the API to a running platform (GATEWAY, default make run's).
import { defineConfig } from 'vite';

const gateway = process.env.GATEWAY || 'http://127.0.0.1:8000';

export default defineConfig({
  base: '/portal/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
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
    proxy: { '/api': gateway, '/healthz': gateway },
  },
});
