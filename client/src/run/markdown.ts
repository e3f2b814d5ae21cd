// The run description (`mlflow.note.content`) is Markdown, as the MLflow UI
// renders it. A small subset — headings, paragraphs, lists, code, emphasis,
// links — parsed into a tree of plain text parts: nothing is ever inserted as
// HTML, so a note cannot inject markup, and a link goes only to http(s).

export type Inline =
  | { kind: 'text'; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'strong' | 'em'; children: Inline[] }
  | { kind: 'link'; href: string; children: Inline[] }

export type Block =
  | { kind: 'heading'; level: number; content: Inline[] }
  | { kind: 'paragraph'; content: Inline[] }
  | { kind: 'list'; ordered: boolean; items: Inline[][] }
  | { kind: 'code'; text: string }

const BULLET = /^\s*[-*+]\s+(.*)$/
const NUMBERED = /^\s*\d+[.)]\s+(.*)$/
const HEADING = /^(#{1,6})\s+(.*?)\s*#*\s*$/
const FENCE = /^\s*```/

export function parseMarkdown(text: string): Block[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n')
  const blocks: Block[] = []
  let paragraph: string[] = []
  const endParagraph = () => {
    if (paragraph.length > 0) blocks.push({ kind: 'paragraph', content: parseInline(paragraph.join(' ')) })
    paragraph = []
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    if (FENCE.test(line)) {
      endParagraph()
      const code: string[] = []
      for (i++; i < lines.length && !FENCE.test(lines[i]!); i++) code.push(lines[i]!)
      blocks.push({ kind: 'code', text: code.join('\n') })
      continue
    }
    const heading = HEADING.exec(line)
    if (heading) {
      endParagraph()
      blocks.push({ kind: 'heading', level: heading[1]!.length, content: parseInline(heading[2]!) })
      continue
    }
    const bullet = BULLET.exec(line) ?? NUMBERED.exec(line)
    if (bullet) {
      endParagraph()
      const ordered = NUMBERED.test(line)
      const last = blocks.at(-1)
      const item = parseInline(bullet[1]!)
      if (last?.kind === 'list' && last.ordered === ordered) last.items.push(item)
      else blocks.push({ kind: 'list', ordered, items: [item] })
      continue
    }
    if (line.trim() === '') endParagraph()
    else paragraph.push(line.trim())
  }
  endParagraph()
  return blocks
}

const SAFE_HREF = /^https?:\/\//i

export function parseInline(text: string): Inline[] {
  const out: Inline[] = []
  let plain = ''
  const flush = () => {
    if (plain) out.push({ kind: 'text', text: plain })
    plain = ''
  }
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === '`') {
      const end = text.indexOf('`', i + 1)
      if (end > i) {
        flush()
        out.push({ kind: 'code', text: text.slice(i + 1, end) })
        i = end + 1
        continue
      }
    }
    if ((c === '*' || c === '_') && text[i + 1] === c) {
      const end = text.indexOf(c + c, i + 2)
      if (end > i + 2) {
        flush()
        out.push({ kind: 'strong', children: parseInline(text.slice(i + 2, end)) })
        i = end + 2
        continue
      }
    }
    if (c === '*' || c === '_') {
      const end = text.indexOf(c, i + 1)
      // `snake_case` and `2*3` stay text: emphasis opens before a word and closes after one.
      const opens = /\S/.test(text[i + 1] ?? '') && (i === 0 || /[\s(]/.test(text[i - 1]!))
      if (opens && end > i + 1 && /\S/.test(text[end - 1]!) && !/\w/.test(text[end + 1] ?? '')) {
        flush()
        out.push({ kind: 'em', children: parseInline(text.slice(i + 1, end)) })
        i = end + 1
        continue
      }
    }
    if (c === '[') {
      const m = /^\[([^\]]+)\]\(([^)\s]+)\)/.exec(text.slice(i))
      if (m) {
        flush()
        const children = parseInline(m[1]!)
        out.push(SAFE_HREF.test(m[2]!) ? { kind: 'link', href: m[2]!, children } : { kind: 'em', children })
        i += m[0].length
        continue
      }
    }
    plain += c
    i++
  }
  flush()
  return out
}
