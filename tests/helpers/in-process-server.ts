// A real runwatch server in this process (real DuckDB, real files, real HTTP
// on 127.0.0.1), for API tests that need many requests.
import type { StoreLocation } from '../../ingest-watch/store-uri.ts'
import { startServer, type RunningServer, type StartOptions } from '../../server/start.ts'

export async function serveStore(store: StoreLocation, extra: Partial<StartOptions> = {}): Promise<RunningServer & { get: (path: string) => Promise<{ status: number; body: any }>; post: (path: string, body: unknown) => Promise<{ status: number; body: any }> }> {
  const server = await startServer({ store, host: '127.0.0.1', port: 0, log: () => {}, ...extra })
  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(server.url + path, init)
    const text = await res.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, body: body as any }
  }
  return {
    ...server,
    get: (path) => call(path),
    post: (path, body) => call(path, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  }
}
