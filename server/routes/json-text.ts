// Responses assembled from pieces already written as JSON (run-json.ts),
// byte for byte what JSON.stringify writes for the whole.
import type { Context } from 'hono'

/** An object of members already written as JSON; undefined ones are left out. */
export function jsonObject(members: Record<string, string | undefined>): string {
  const parts: string[] = []
  for (const [k, v] of Object.entries(members)) if (v !== undefined) parts.push(`${JSON.stringify(k)}:${v}`)
  return `{${parts.join(',')}}`
}

/** Answers with JSON text, with the headers c.json sets. */
export function jsonText(c: Context, text: string): Response {
  return c.body(text, 200, { 'Content-Type': 'application/json' })
}
