// Renders parseMarkdown's tree as elements (text nodes only; see markdown.ts).
import { For, Match, Switch } from 'solid-js'
import { Dynamic } from 'solid-js/web'
import { parseMarkdown, type Block, type Inline } from './markdown.ts'

function Inlines(props: { parts: Inline[] }) {
  return (
    <For each={props.parts}>
      {(part) => (
        <Switch>
          <Match when={part.kind === 'text' && part}>{(p) => p().text}</Match>
          <Match when={part.kind === 'code' && part}>{(p) => <code>{p().text}</code>}</Match>
          <Match when={part.kind === 'strong' && part}>{(p) => <strong><Inlines parts={p().children} /></strong>}</Match>
          <Match when={part.kind === 'em' && part}>{(p) => <em><Inlines parts={p().children} /></em>}</Match>
          <Match when={part.kind === 'link' && part}>{(p) => <a href={p().href} target="_blank" rel="noopener noreferrer"><Inlines parts={p().children} /></a>}</Match>
        </Switch>
      )}
    </For>
  )
}

function BlockView(props: { block: Block }) {
  const b = props.block
  switch (b.kind) {
    case 'heading':
      // h4 and below: the note sits under the page's own h3 headings.
      return <Dynamic component={`h${Math.min(6, b.level + 3)}`}><Inlines parts={b.content} /></Dynamic>
    case 'paragraph':
      return <p><Inlines parts={b.content} /></p>
    case 'code':
      return <pre><code>{b.text}</code></pre>
    case 'list':
      return <Dynamic component={b.ordered ? 'ol' : 'ul'}><For each={b.items}>{(item) => <li><Inlines parts={item} /></li>}</For></Dynamic>
  }
}

export function Markdown(props: { text: string }) {
  return <For each={parseMarkdown(props.text)}>{(block) => <BlockView block={block} />}</For>
}
