// The Hono application: own API, live socket, and the built client.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { upgradeWebSocket } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import type { WebSocket } from 'ws'
import type { LiveClient, LiveHub } from './live/hub.ts'
import { liveSocket } from './live/ws-socket.ts'
import { apiRoutes, type ApiContext } from './routes/api.ts'
import { artifactDownload, mlflowRoutes, readOnlyAnswer } from './routes/mlflow-api.ts'

const DOCS_DIR = join(import.meta.dirname, '..', 'docs')

export interface AppOptions extends ApiContext {
  hub: LiveHub
  /** Folder of the built client (index.html and assets); not served when absent. */
  clientDir?: string
}

export function createApp(options: AppOptions): Hono {
  const app = new Hono()
  const mlflow = mlflowRoutes(options)
  for (const prefix of ['/api/2.0/mlflow', '/ajax-api/2.0/mlflow']) {
    app.route(prefix, mlflow)
    app.all(`${prefix}/*`, readOnlyAnswer)
  }
  app.get('/get-artifact', artifactDownload(options))
  app.get('/ajax-api/2.0/mlflow/get-artifact', artifactDownload(options))
  app.route('/api', apiRoutes({ ...options, live: options.hub }))
  // The formulas behind health and the stopping aids, linked from the UI.
  app.get('/docs/:file', (c) => {
    const file = c.req.param('file')
    const path = join(DOCS_DIR, file)
    if (!/^[a-z0-9-]+\.md$/.test(file) || !existsSync(path)) return c.text('no such document', 404)
    return c.text(readFileSync(path, 'utf8'), 200, { 'Content-Type': 'text/plain; charset=utf-8' })
  })
  app.onError((err, c) => {
    options.hub.log(`${c.req.method} ${c.req.path} failed: ${err.message}`)
    return c.json({ error: { code: 'INTERNAL_ERROR', message: 'the server could not answer this request' } }, 500)
  })

  app.get(
    '/ws',
    upgradeWebSocket((c) => {
      let client: LiveClient | undefined
      const batch = c.req.query('batch') === '1'
      return {
        onOpen: (_event, ws) => {
          client = options.hub.connect(liveSocket(ws.raw as WebSocket), { batch })
        },
        onMessage: (event) => {
          client?.receive(typeof event.data === 'string' ? event.data : Buffer.from(event.data as ArrayBuffer).toString('utf8'))
        },
        onClose: () => client?.disconnect(),
        onError: () => client?.disconnect(),
      }
    }),
  )

  const dir = options.clientDir
  if (dir && existsSync(join(dir, 'index.html'))) {
    app.use('/assets/*', async (c, next) => {
      await next()
      // Vite puts a content hash in every asset name.
      if (c.res.ok) c.header('Cache-Control', 'public, max-age=31536000, immutable')
    })
    app.use('*', serveStatic({ root: dir }))
    // Client-side routes (/wall, /runs/…) get the app shell.
    app.get('*', serveStatic({ root: dir, path: 'index.html' }))
  } else {
    app.get('/', (c) => c.text('runwatch: the client is not built; run `npm run build`.', 503))
  }
  return app
}
