// runwatch's own JSON API for the UI. Compact shapes from protocol/.
import { Hono } from 'hono'
import type { StoreInfo } from '../artifacts.ts'
import type { RunIndex } from '../index/run-index.ts'

export interface ApiContext {
  index: RunIndex
  store: StoreInfo & { demo: boolean }
}

function badRequest(message: string) {
  return { error: { code: 'INVALID_PARAMETER_VALUE', message } }
}

export function apiRoutes({ index, store }: ApiContext): Hono {
  const api = new Hono()

  api.get('/status', (c) => c.json({ store, runs: index.runs, points: index.points }))

  api.get('/experiments', async (c) => c.json({ experiments: await index.experiments() }))

  api.get('/runs', async (c) => {
    const experimentIds = c.req.queries('experimentId')
    return c.json({ runs: await index.runSummaries(experimentIds ? { experimentIds } : {}) })
  })

  api.get('/metrics/history', async (c) => {
    const runId = c.req.query('runId')
    const key = c.req.query('key')
    if (!runId || !key) return c.json(badRequest('runId and key are required'), 400)
    if (index.experimentOf(runId) === undefined) {
      return c.json({ error: { code: 'RESOURCE_DOES_NOT_EXIST', message: `run '${runId}' not found` } }, 404)
    }
    return c.json(await index.metricHistory(runId, key))
  })

  api.notFound((c) => c.json({ error: { code: 'ENDPOINT_NOT_FOUND', message: `no endpoint ${c.req.method} ${c.req.path}` } }, 404))
  return api
}
