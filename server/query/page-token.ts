// Opaque page tokens, spelled as MLflow spells them: base64 of {"offset": N}.

export class PageTokenError extends Error {}

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64')
}

export function decodePageToken(token: string | undefined | null): number {
  if (!token) return 0
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown }
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset
  } catch {
    // fall through
  }
  throw new PageTokenError(`invalid page_token '${token.slice(0, 40)}'`)
}
