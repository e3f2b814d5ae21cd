// The `key: value` lines PyYAML writes for MLflow's run and experiment
// meta.yaml, read without a YAML parser. A store of 10,000 runs has 10,000 of
// them, and the YAML library took about 150 µs each (some 1.5 s of the
// initial scan's CPU). Only text whose every line is one of the few shapes
// below is read here, with the result the YAML parser gives under the
// failsafe schema (every scalar a string); anything else — non-ASCII, double
// quotes, nesting, comments, folded lines, a half-written line — answers
// undefined and goes to the parser.

const KEY_LINE = /^([A-Za-z_][A-Za-z0-9_]*): (.+)$/
const SINGLE_QUOTED = /^'((?:[^']|'')*)'$/
/**
 * A plain scalar that means the same in block context under any YAML
 * version: not starting with an indicator (a `-` only before a digit), no
 * `: ` or ` #` inside, no trailing space or `:`.
 */
const PLAIN = /^(?:[^-?:,[\]{}#&*!|>'"%@` ]|-[0-9])(?:(?!: | #)[^\t])*(?<![ :])$/
/** Printable ASCII and newlines only: YAML treats some other characters (NEL, U+2028, a BOM) as breaks or marks. */
const SIMPLE_TEXT = /^[\x20-\x7e\n]*$/

export type FlatValue = string | []

/** The mapping, or undefined when the text is not in the shapes this reads. */
export function readFlatMapping(text: string): Record<string, FlatValue> | undefined {
  if (!SIMPLE_TEXT.test(text)) return undefined
  const out: Record<string, FlatValue> = {}
  const lines = text.split('\n')
  // One trailing newline ends the last line; anything else empty is left to the parser.
  if (lines.at(-1) === '') lines.pop()
  if (lines.length === 0) return undefined
  for (const line of lines) {
    const m = KEY_LINE.exec(line)
    if (!m) return undefined
    const [, key, raw] = m as unknown as [string, string, string]
    if (Object.hasOwn(out, key)) return undefined
    const quoted = SINGLE_QUOTED.exec(raw)
    if (quoted) out[key] = quoted[1]!.replaceAll("''", "'")
    else if (raw === '[]') out[key] = []
    else if (PLAIN.test(raw)) out[key] = raw
    else return undefined
  }
  return out
}
