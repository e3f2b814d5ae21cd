// The series reads the inline boot script (boot.ts) started, handed to the
// app's code when it has loaded: through a global, because the two are
// separate scripts (the boot script is inlined in the page, the app is modules).
import { seriesBody, type SeriesRequest } from '../api.ts'

const GLOBAL = '__runwatchBootSeries'
const scope = globalThis as unknown as Record<typeof GLOBAL, Map<string, Promise<Response>> | undefined>

/** Leaves a started read for the app, under its request body. */
export function leaveSeriesRead(request: SeriesRequest, response: Promise<Response>): void {
  // Nobody may ever take it (the app asks for something else): no unhandled rejection.
  response.catch(() => undefined)
  const reads = (scope[GLOBAL] ??= new Map())
  reads.set(seriesBody(request), response)
}

/** The read the boot script started for exactly this request, once. */
export function takeSeriesRead(request: SeriesRequest): Promise<Response> | undefined {
  const key = seriesBody(request)
  const response = scope[GLOBAL]?.get(key)
  scope[GLOBAL]?.delete(key)
  return response
}
