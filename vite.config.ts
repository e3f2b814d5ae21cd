import { defineConfig, type Plugin } from 'vite'
import solid from 'vite-plugin-solid'

/**
 * The explorer's code (App.tsx, loaded by the entry with import()) asked for
 * while the page is parsed, in parallel with the entry, rather than once the
 * entry has run: the entry waits for its own chunks and the style sheet first.
 * Not on /wall, which never loads it.
 */
function preloadExplorer(): Plugin {
  return {
    name: 'runwatch-preload-explorer',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const chunks = Object.values(ctx.bundle ?? {})
        const app = chunks.find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/App.tsx'))
        if (!app || app.type !== 'chunk') throw new Error('preloadExplorer: no App.tsx chunk in the bundle')
        const files = [app.fileName, ...app.imports].filter((f) => !html.includes(`/${f}"`)).map((f) => `/${f}`)
        const links = `for (const href of ${JSON.stringify(files)}) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', href, crossOrigin: '' }))`
        return [{ tag: 'script', children: `if (!location.pathname.startsWith('/wall')) ${links}`, injectTo: 'head-prepend' }]
      },
    },
  }
}

// The dev server proxies the API and the live socket to a runwatch server
// started by `npm run dev` (scripts/dev.js) on RUNWATCH_DEV_API_PORT.
const apiPort = process.env.RUNWATCH_DEV_API_PORT ?? '5050'
const api = `http://127.0.0.1:${apiPort}`

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
