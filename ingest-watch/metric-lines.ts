// Parser for MLflow file-store metric files: `timestamp value step` per line,
// also the old 2-field and the 5-field (dataset) forms. Values are Python
// float text (`nan`, `inf`, `-inf`, `1e+16`).

export interface ParsedMetricLines {
  timestamp: number[]
  value: number[]
  step: number[]
  /** Line numbers (1-based in the file) that were not valid metric lines. */
  bad: { line: number; text: string; reason: string }[]
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/
const INTEGER = /^[+-]?\d+$/

/** Python's float() spellings; undefined when the text is not a number. */
export function parsePythonFloat(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text)
  switch (text.toLowerCase()) {
    case 'nan': case '+nan': case '-nan': return NaN
    case 'inf': case '+inf': case 'infinity': case '+infinity': return Infinity
    case '-inf': case '-infinity': return -Infinity
    default: return undefined
  }
}

/**
 * Parses complete lines. `firstLine` is the file line number of the first
 * line of `text`, so errors point at the real place in the file.
 */
export function parseMetricLines(text: string, firstLine = 1): ParsedMetricLines {
  const out: ParsedMetricLines = { timestamp: [], value: [], step: [], bad: [] }
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line.trim() === '') continue
    const fields = line.trim().split(/\s+/)
    const reason = parseFields(fields, out)
    if (reason) out.bad.push({ line: firstLine + i, text: line.slice(0, 200), reason })
  }
  return out
}

function parseFields(fields: string[], out: ParsedMetricLines): string | undefined {
  if (fields.length !== 2 && fields.length !== 3 && fields.length !== 5) {
    return `expected 2, 3 or 5 fields, found ${fields.length}`
  }
  const [ts, val, step = '0'] = fields as [string, string, string?]
  if (!INTEGER.test(ts)) return `timestamp '${ts.slice(0, 40)}' is not an integer`
  const value = parsePythonFloat(val)
  if (value === undefined) return `value '${val.slice(0, 40)}' is not a number`
  if (!INTEGER.test(step)) return `step '${step.slice(0, 40)}' is not an integer`
  out.timestamp.push(Number(ts))
  out.value.push(value)
  out.step.push(Number(step))
  return undefined
}

/** Index just past the last newline: bytes after it are a line still being written. */
export function completeLinesEnd(bytes: Uint8Array): number {
  return bytes.lastIndexOf(10) + 1
}
