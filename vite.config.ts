import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'

// The dev server proxies the API and the live socket to a runwatch server
// started by `npm run dev` (scripts/dev.js) on RUNWATCH_DEV_API_PORT.
const apiPort = process.env.RUNWATCH_DEV_API_PORT ?? '5050'
const api = `http://127.0.0.1:${apiPort}`

export default defineConfig({
  root: 'client',
  plugins: [solid()],
  build: { outDir: '../dist/client', emptyOutDir: true, target: 'es2022' },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': api,
      '/ajax-api': api,
      '/ws': { target: `ws://127.0.0.1:${apiPort}`, ws: true },
    },
  },
})
