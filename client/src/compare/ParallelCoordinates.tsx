// Parallel coordinates: one vertical axis per param and the chosen metric last,
// one polyline per run. Dragging on an axis brushes a span; brushes filter the
// table and charts (the app turns them into filter clauses).
import { For, Show, createSignal } from 'solid-js'
import { colorFor } from '../colors.ts'
import { formatMetric } from '../format.ts'
import { brushClause, passesBrushes, position, type Axis, type Brush } from './axes.ts'

const HEIGHT = 260
const PAD = { top: 24, bottom: 28, side: 40 }

export function ParallelCoordinates(props: { axes: Axis[]; runIds: string[]; brushes: Brush[]; onBrush: (brushes: Brush[]) => void; selected: ReadonlySet<string> }) {
  const [width, setWidth] = createSignal(900)
  const [drag, setDrag] = createSignal<{ column: string; from: number; to: number }>()
  const x = (i: number) => PAD.side + (props.axes.length <= 1 ? 0 : (i * (width() - 2 * PAD.side)) / (props.axes.length - 1))
  const y = (p: number) => PAD.top + (1 - p) * (HEIGHT - PAD.top - PAD.bottom)
  const p = (clientY: number, svg: SVGSVGElement) => {
    const box = svg.getBoundingClientRect()
    return Math.min(1, Math.max(0, 1 - (clientY - box.top - PAD.top) / (HEIGHT - PAD.top - PAD.bottom)))
  }
  const passes = (i: number) => passesBrushes(props.axes, props.brushes, i)
  const path = (i: number) => {
    let d = ''
    props.axes.forEach((axis, k) => {
      const at = position(axis, i)
      if (at === null) return
      d += `${d === '' ? 'M' : 'L'}${x(k).toFixed(1)},${y(at).toFixed(1)}`
    })
    return d
  }
  /** A log axis's powers of ten between its ends (not too close to them), where they sit. */
  const decades = (axis: Extract<Axis, { kind: 'numeric' }>): [number, string][] => {
    const out: [number, string][] = []
    for (let e = Math.ceil(Math.log10(axis.min)); e <= Math.floor(Math.log10(axis.max)); e++) {
      const at = (e * Math.LN10 - Math.log(axis.min)) / (Math.log(axis.max) - Math.log(axis.min))
      if (at > 0.08 && at < 0.92) out.push([at, formatMetric(10 ** e)])
    }
    return out
  }
  const tickLabels = (axis: Axis): [number, string][] =>
    axis.kind === 'numeric'
      ? [[0, formatMetric(axis.min)], ...(axis.log ? decades(axis) : []), [1, formatMetric(axis.max)]]
      : axis.categories.slice(0, 12).map((c, k) => [axis.categories.length === 1 ? 0.5 : k / (axis.categories.length - 1), c])

  let svg!: SVGSVGElement
  return (
    <div class="parallel" ref={(el) => new ResizeObserver(() => setWidth(el.clientWidth || 900)).observe(el)}>
      <svg ref={svg} width={width()} height={HEIGHT} data-testid="parallel-coordinates"
        onPointerMove={(e) => {
          const d = drag()
          if (d) setDrag({ ...d, to: p(e.clientY, svg) })
        }}
        onPointerUp={() => {
          const d = drag()
          setDrag(undefined)
          if (!d) return
          const others = props.brushes.filter((b) => b.column !== d.column)
          // A click without a drag clears the axis' brush.
          if (Math.abs(d.to - d.from) < 0.01) return props.onBrush(others)
          const axis = props.axes.find((a) => a.column === d.column)
          if (!axis) return
          const span = { lo: Math.min(d.from, d.to), hi: Math.max(d.from, d.to) }
          props.onBrush([...others, { column: d.column, ...span, clause: brushClause(axis, span) }])
        }}
      >
        <g class="pc-lines">
          <For each={props.runIds}>
            {(runId, i) => (
              <path d={path(i())} fill="none" stroke={colorFor(runId)} stroke-width={props.selected.has(runId) ? 2.5 : 1.2}
                opacity={passes(i()) ? (props.selected.size === 0 || props.selected.has(runId) ? 0.85 : 0.35) : 0.06} />
            )}
          </For>
        </g>
        <For each={props.axes}>
          {(axis, k) => {
            const brush = () => props.brushes.find((b) => b.column === axis.column)
            const live = () => (drag()?.column === axis.column ? drag() : undefined)
            return (
              <g class="pc-axis" data-axis={axis.column}>
                <line x1={x(k())} x2={x(k())} y1={y(0)} y2={y(1)} />
                <text x={x(k())} y={PAD.top - 8} text-anchor="middle" class="pc-label">{axis.label}{axis.kind === 'numeric' && axis.log ? ' (log)' : ''}</text>
                {/* The last axis's labels go on its left, inside the plot. */}
                <For each={tickLabels(axis)}>{([at, label]) => {
                  const last = () => k() === props.axes.length - 1 && props.axes.length > 1
                  return <text x={x(k()) + (last() ? -5 : 5)} y={y(at) + 4} text-anchor={last() ? 'end' : 'start'} class="pc-tick">{label}</text>
                }}</For>
                <Show when={live() ?? brush()}>
                  {(b) => {
                    const lo = () => ('lo' in b() ? (b() as Brush).lo : Math.min((b() as { from: number }).from, (b() as { to: number }).to))
                    const hi = () => ('hi' in b() ? (b() as Brush).hi : Math.max((b() as { from: number }).from, (b() as { to: number }).to))
                    return <rect class="pc-brush" x={x(k()) - 8} width={16} y={y(hi())} height={Math.max(1, y(lo()) - y(hi()))} />
                  }}
                </Show>
                <rect class="pc-hit" x={x(k()) - 14} width={28} y={y(1)} height={y(0) - y(1)}
                  onPointerDown={(e) => {
                    ;(e.currentTarget.ownerSVGElement as SVGSVGElement).setPointerCapture(e.pointerId)
                    const at = p(e.clientY, svg)
                    setDrag({ column: axis.column, from: at, to: at })
                  }} />
              </g>
            )
          }}
        </For>
      </svg>
    </div>
  )
}
