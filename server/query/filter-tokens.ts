// Tokenizer for MLflow's search filter language (and runwatch's superset).
// Pure; every token remembers its 1-based column for error messages.

export type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma' | 'end'

export interface Token {
  kind: TokenKind
  /** The token's text; for strings, the unquoted value; for quoted identifiers, the unquoted name. */
  text: string
  /** 1-based column of the token's first character. */
  column: number
  /** Identifiers written with backticks or double quotes (a quoted key). */
  quoted?: '`' | '"'
}

export class FilterSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(`${message} at column ${column}`)
  }
}

const OPERATORS = ['!=', '<>', '<=', '>=', '=', '<', '>']

export function tokenize(input: string): Token[] {
  const tokens: Token[] = []
  let i = 0
  while (i < input.length) {
    const c = input[i]!
    const column = i + 1
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (c === '(') { tokens.push({ kind: 'lparen', text: c, column }); i++; continue }
    if (c === ')') { tokens.push({ kind: 'rparen', text: c, column }); i++; continue }
    if (c === ',') { tokens.push({ kind: 'comma', text: c, column }); i++; continue }
    const op = OPERATORS.find((o) => input.startsWith(o, i))
    if (op) {
      tokens.push({ kind: 'op', text: op === '<>' ? '!=' : op, column })
      i += op.length
      continue
    }
    if (c === "'" || c === '"' || c === '`') {
      const end = closingQuote(input, i)
      if (end < 0) throw new FilterSyntaxError(`unterminated ${c === '`' ? 'backticked name' : 'string'} starting with ${c}`, column)
      const body = input.slice(i + 1, end).split(c + c).join(c)
      if (c === "'") tokens.push({ kind: 'string', text: body, column })
      // A double-quoted token is a string value or a quoted key: the parser decides by position.
      else tokens.push({ kind: c === '"' ? 'string' : 'ident', text: body, column, quoted: c })
      i = end + 1
      continue
    }
    const num = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?![\w.])/.exec(input.slice(i))
    if (num && (c !== '+' && c !== '-' || prevAllowsSign(tokens))) {
      tokens.push({ kind: 'number', text: num[0], column })
      i += num[0].length
      continue
    }
    const word = /^[A-Za-z_][\w.]*/.exec(input.slice(i))
    if (word) {
      // An identifier may continue with a quoted key after its dot: metrics."val loss", tags.`a b`.
      let text = word[0]
      let quoted: Token['quoted']
      let next = i + text.length
      if (text.endsWith('.') && (input[next] === '`' || input[next] === '"')) {
        const end = closingQuote(input, next)
        if (end < 0) throw new FilterSyntaxError(`unterminated quoted name after '${text}'`, next + 1)
        quoted = input[next] as '`' | '"'
        text += input.slice(next + 1, end).split(quoted + quoted).join(quoted)
        next = end + 1
      }
      tokens.push({ kind: 'ident', text, column, ...(quoted ? { quoted } : {}) })
      i = next
      continue
    }
    throw new FilterSyntaxError(`unexpected character '${c}'`, column)
  }
  tokens.push({ kind: 'end', text: '', column: input.length + 1 })
  return tokens
}

function closingQuote(input: string, start: number): number {
  const q = input[start]!
  let i = start + 1
  while (i < input.length) {
    if (input[i] === q) {
      if (input[i + 1] === q) {
        i += 2
        continue
      }
      return i
    }
    i++
  }
  return -1
}

/** A sign starts a number only where a value can stand (after an operator, '(' or ','). */
function prevAllowsSign(tokens: Token[]): boolean {
  const prev = tokens[tokens.length - 1]
  return !prev || prev.kind === 'op' || prev.kind === 'lparen' || prev.kind === 'comma'
}
