import { defineConfig, type Plugin } from 'vite'
import solid from 'vite-plugin-solid'

// The dev server proxies the API and the live socket to a runwatch server
// started by `npm run dev` (scripts/dev.js) on RUNWATCH_DEV_API_PORT.
const apiPort = process.env.RUNWATCH_DEV_API_PORT ?? '5050'
const api = `http://127.0.0.1:${apiPort}`

/**
 * The explorer's code (App.tsx and what it imports) is loaded together with
 * the entry script instead of after it has run: on a busy server the entry
 * script alone took 40-200 ms to arrive, and the app's code was only asked
 * for then. Not for the wall, which loads its own smaller code.
 */
function preloadExplorer(): Plugin {
  return {
    name: 'runwatch-preload-explorer',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(_html, ctx) {
        const app = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/App.tsx'))
        if (!app || app.type !== 'chunk') throw new Error('no App.tsx chunk in the build')
        const files = [app.fileName, ...app.imports].map((f) => `/${f}`)
        const script = `if (!location.pathname.startsWith('/wall')) for (const href of ${JSON.stringify(files)}) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', crossOrigin: '', href }))`
        return [{ tag: 'script', children: script, injectTo: 'head' }]
      },
    },
  }
}

export default defineConfig({
  root: 'client',
  plugins: [solid(), preloadExplorer()],
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
