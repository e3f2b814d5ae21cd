import { fileURLToPath } from 'node:url'
import { build, defineConfig, type Plugin, type Rolldown } from 'vite'
import solid from 'vite-plugin-solid'

// The dev server proxies the API and the live socket to a runwatch server
// started by `npm run dev` (scripts/dev.js) on RUNWATCH_DEV_API_PORT.
const apiPort = process.env.RUNWATCH_DEV_API_PORT ?? '5050'
const api = `http://127.0.0.1:${apiPort}`

/**
 * Two inline scripts first in the head, before the stylesheet: an inline
 * script after a stylesheet waits until the stylesheet has arrived, which on
 * a busy machine took 100-140 ms.
 * - The boot script (client/src/boot.ts, bundled on its own): a link's first
 *   series queries are sent while the document is parsed, instead of after
 *   the entry script and its imports arrived and ran (100-200 ms later).
 * - The explorer's code (App.tsx and what it imports) is loaded together
 *   with the entry script instead of after it has run: on a busy server the
 *   entry script alone took 40-200 ms to arrive, and the app's code was only
 *   asked for then. Not for the wall, which loads its own smaller code.
 */
function headStart(): Plugin {
  return {
    name: 'runwatch-head-start',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      async handler(html, ctx) {
        const app = Object.values(ctx.bundle ?? {}).find((c) => c.type === 'chunk' && c.facadeModuleId?.endsWith('/src/App.tsx'))
        if (!app || app.type !== 'chunk') throw new Error('no App.tsx chunk in the build')
        const files = [app.fileName, ...app.imports].map((f) => `/${f}`)
        const preload = `if (!location.pathname.startsWith('/wall')) for (const href of ${JSON.stringify(files)}) document.head.append(Object.assign(document.createElement('link'), { rel: 'modulepreload', crossOrigin: '', href }))`
        // After the charset and viewport (the boot script reads the window's width), before the entry script and the stylesheet.
        const at = Math.min(...['<script type="module"', '<link rel="stylesheet"'].map((tag) => html.indexOf(tag)).filter((i) => i >= 0))
        if (!Number.isFinite(at)) throw new Error('no entry script or stylesheet in index.html')
        return `${html.slice(0, at)}<script>${await bootScript()}</script>\n    <script>${preload}</script>\n    ${html.slice(at)}`
      },
    },
  }
}

/** client/src/boot.ts as one classic script: no imports left, nothing exported. */
async function bootScript(): Promise<string> {
  const built = await build({
    configFile: false,
    logLevel: 'warn',
    publicDir: false,
    build: {
      write: false,
      target: 'es2022',
      lib: { entry: fileURLToPath(new URL('client/src/boot.ts', import.meta.url)), formats: ['iife'], name: 'runwatchBoot' },
    },
  })
  const chunks = [built].flat().flatMap((o) => (o as Rolldown.RolldownOutput).output).filter((c) => c.type === 'chunk')
  if (chunks.length !== 1) throw new Error(`the boot script bundled into ${chunks.length} chunks, not one`)
  const code = chunks[0]!.code.trim()
  if (/<\/script/i.test(code)) throw new Error('the boot script cannot be inlined: it holds </script')
  return code
}

export default defineConfig({
  root: 'client',
  plugins: [solid(), headStart()],
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
