// A run's artifacts: a folder tree read level by level, and a preview of the
// chosen file — text, JSON, YAML, CSV, MLmodel (first 64 KB), images — with a
// download link for anything.
import { For, Match, Show, Switch, createResource, createSignal } from 'solid-js'
import { artifactUrl, listArtifacts, type ArtifactFile } from '../api.ts'
import { csvRows, previewKind, readStart } from './artifact-preview.ts'

function formatBytes(n: number | undefined): string {
  if (n === undefined) return ''
  if (n < 1024) return `${n} B`
  const units = ['KB', 'MB', 'GB', 'TB']
  let v = n / 1024
  let u = 0
  while (v >= 1024 && u < units.length - 1) (v /= 1024), u++
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`
}

function Folder(props: { runId: string; path: string; depth: number; chosen: string | undefined; onChoose: (f: ArtifactFile) => void; onListed?: (count: number) => void }) {
  const [files] = createResource(() => [props.runId, props.path] as const, async ([runId, path]) => {
    const listed = await listArtifacts(runId, path)
    props.onListed?.(listed.length)
    return listed
  })
  return (
    <Show when={!files.error} fallback={<li class="problem-inline">{(files.error as Error).message}</li>}>
      <For each={files()} fallback={props.depth === 0 && files.state === 'ready' ? <li class="muted">This run has no artifacts.</li> : null}>
        {(f) => (f.is_dir ? <FolderEntry {...props} file={f} /> : (
          <li>
            <button type="button" class="artifact-file" classList={{ chosen: props.chosen === f.path }} style={{ 'padding-left': `${props.depth * 14 + 4}px` }} onClick={() => props.onChoose(f)} data-artifact={f.path}>
              {f.path.split('/').pop()} <span class="muted">{formatBytes(f.file_size)}</span>
            </button>
          </li>
        ))}
      </For>
    </Show>
  )
}

function FolderEntry(props: { runId: string; depth: number; chosen: string | undefined; onChoose: (f: ArtifactFile) => void; file: ArtifactFile }) {
  const [open, setOpen] = createSignal(props.depth === 0)
  return (
    <li>
      <button type="button" class="artifact-dir" style={{ 'padding-left': `${props.depth * 14 + 4}px` }} onClick={() => setOpen(!open())} data-artifact={props.file.path}>
        {open() ? '▾' : '▸'} {props.file.path.split('/').pop()}/
      </button>
      <Show when={open()}>
        <ul>
          <Folder runId={props.runId} path={props.file.path} depth={props.depth + 1} chosen={props.chosen} onChoose={props.onChoose} />
        </ul>
      </Show>
    </li>
  )
}

function Preview(props: { runId: string; file: ArtifactFile }) {
  const url = () => artifactUrl(props.runId, props.file.path)
  const kind = () => previewKind(props.file.path)
  const [content] = createResource(
    () => (kind() === 'image' || kind() === 'none' ? undefined : url()),
    async (u) => {
      const res = await fetch(u)
      if (!res.ok) throw new Error(`HTTP ${res.status}`)
      return readStart(res)
    },
  )
  const pretty = () => {
    const c = content()
    if (!c || !c.complete) return c?.text
    try {
      return JSON.stringify(JSON.parse(c.text), null, 2)
    } catch {
      return c.text
    }
  }
  return (
    <div class="artifact-preview" data-testid="artifact-preview">
      <header>
        <b>{props.file.path}</b> <span class="muted">{formatBytes(props.file.file_size)}</span>
        <a href={url()} download={props.file.path.split('/').pop()}>
          Download
        </a>
      </header>
      <Switch>
        <Match when={kind() === 'image'}>
          <img src={url()} alt={props.file.path} data-testid="artifact-image" />
        </Match>
        <Match when={kind() === 'none'}>
          <p class="muted">No preview for this kind of file.</p>
        </Match>
        <Match when={content.error}>
          <p class="problem-inline">Could not read it: {(content.error as Error).message}</p>
        </Match>
        <Match when={content()}>
          {(c) => (
            <>
              <Show when={kind() === 'csv'} fallback={<pre data-testid="artifact-text">{kind() === 'json' ? pretty() : c().text}</pre>}>
                <table class="csv-preview">
                  <For each={csvRows(c().text, props.file.path.endsWith('.tsv') ? '\t' : ',')}>{(row, i) => <tr><For each={row}>{(cell) => (i() === 0 ? <th>{cell}</th> : <td>{cell}</td>)}</For></tr>}</For>
                </table>
              </Show>
              <Show when={!c().complete}>
                <p class="muted">First {formatBytes(c().text.length)} shown; download the file for the rest.</p>
              </Show>
            </>
          )}
        </Match>
      </Switch>
    </div>
  )
}

export function ArtifactBrowser(props: { runId: string }) {
  const [chosen, setChosen] = createSignal<ArtifactFile>()
  const [count, setCount] = createSignal<number>()
  return (
    <div class="artifacts" data-testid="artifacts">
      <ul class="artifact-tree">
        <Folder runId={props.runId} path="" depth={0} chosen={chosen()?.path} onChoose={setChosen} onListed={setCount} />
      </ul>
      <Show when={chosen()} keyed fallback={<div class="artifact-preview muted">{count() === 0 ? '' : 'Choose a file to preview it.'}</div>}>
        {(file) => <Preview runId={props.runId} file={file} />}
      </Show>
    </div>
  )
}
