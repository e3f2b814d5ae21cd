// How an artifact is previewed, by name, and a bounded read of its start: a
// 2 GB checkpoint is never downloaded to show its first lines.

export type PreviewKind = 'image' | 'text' | 'json' | 'csv' | 'none'

const IMAGE = new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp'])
const TEXT = new Set(['txt', 'log', 'md', 'yaml', 'yml', 'py', 'sh', 'cfg', 'ini', 'toml', 'html', 'svg', 'xml', 'err', 'out', 'rst', 'tex', 'requirements'])

export function previewKind(path: string): PreviewKind {
  const name = path.split('/').pop() ?? ''
  if (name === 'MLmodel' || name === 'requirements.txt' || name === 'conda.yaml' || name === 'python_env.yaml') return 'text'
  const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : ''
  if (IMAGE.has(ext)) return 'image'
  if (ext === 'json') return 'json'
  if (ext === 'csv' || ext === 'tsv') return 'csv'
  if (TEXT.has(ext)) return 'text'
  return 'none'
}

export const PREVIEW_BYTES = 64 * 1024

/** The first `limit` bytes of a response as text; `complete` when that was all of it. */
export async function readStart(res: Response, limit = PREVIEW_BYTES): Promise<{ text: string; complete: boolean }> {
  if (!res.body) return { text: '', complete: true }
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  let complete = false
  for (;;) {
    const { done, value } = await reader.read()
    if (done) {
      complete = true
      break
    }
    chunks.push(value)
    size += value.byteLength
    if (size >= limit) {
      await reader.cancel()
      break
    }
  }
  const bytes = new Uint8Array(Math.min(size, limit))
  let at = 0
  for (const c of chunks) {
    const part = c.subarray(0, Math.min(c.byteLength, bytes.byteLength - at))
    bytes.set(part, at)
    at += part.byteLength
    if (at >= bytes.byteLength) break
  }
  // A cut in the middle of a UTF-8 sequence shows as one replacement character at the end, not an error.
  return { text: new TextDecoder().decode(bytes), complete: complete && size <= limit }
}

/** The first rows of a CSV/TSV preview (quoted fields with separators kept whole). */
export function csvRows(text: string, separator: string, maxRows = 50): string[][] {
  const rows: string[][] = []
  for (const line of text.split(/\r?\n/)) {
    if (rows.length >= maxRows) break
    if (line === '') continue
    const cells: string[] = []
    let cell = ''
    let quoted = false
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') (cell += '"'), i++
        else if (ch === '"') quoted = false
        else cell += ch
      } else if (ch === '"') quoted = true
      else if (ch === separator) (cells.push(cell), (cell = ''))
      else cell += ch
    }
    cells.push(cell)
    rows.push(cells)
  }
  return rows
}
