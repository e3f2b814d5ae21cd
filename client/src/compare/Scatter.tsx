// Any two columns against each other, one dot per run; a click selects the run.
// Runs brushed away on the parallel coordinates are drawn faintly, as there.
import { For, createSignal } from 'solid-js'
import { colorFor } from '../colors.ts'
import { formatMetric } from '../format.ts'
import { passesBrushes, position, type Axis, type Brush } from './axes.ts'

const SIZE = { h: 260, pad: 36 }

export function Scatter(props: { x: Axis; y: Axis; axes: Axis[]; brushes: Brush[]; runIds: string[]; names: Record<string, string>; selected: ReadonlySet<string>; onToggle: (runId: string) => void }) {
  const [width, setWidth] = createSignal(420)
  const px = (p: number) => SIZE.pad + p * (width() - 2 * SIZE.pad)
  const py = (p: number) => SIZE.h - SIZE.pad - p * (SIZE.h - 2 * SIZE.pad)
  const ends = (a: Axis): [string, string] => (a.kind === 'numeric' ? [formatMetric(a.min), formatMetric(a.max)] : [a.categories[0] ?? '', a.categories.at(-1) ?? ''])
  return (
    <div class="scatter" ref={(el) => new ResizeObserver(() => setWidth(el.clientWidth || 420)).observe(el)}>
      <svg width={width()} height={SIZE.h} data-testid="scatter">
        <line class="axis" x1={px(0)} x2={px(1)} y1={py(0)} y2={py(0)} />
        <line class="axis" x1={px(0)} x2={px(0)} y1={py(0)} y2={py(1)} />
        <text x={px(0)} y={SIZE.h - 8} class="pc-tick">{ends(props.x)[0]}</text>
        <text x={px(1)} y={SIZE.h - 8} text-anchor="end" class="pc-tick">{ends(props.x)[1]}</text>
        <text x={px(0.5)} y={SIZE.h - 8} text-anchor="middle" class="pc-label">{props.x.label}</text>
        <text x={4} y={py(0)} class="pc-tick">{ends(props.y)[0]}</text>
        <text x={4} y={py(1) - 4} class="pc-tick">{ends(props.y)[1]}</text>
        <text x={SIZE.pad} y={14} class="pc-label">{props.y.label}</text>
        <For each={props.runIds}>
          {(runId, i) => {
            const at = () => [position(props.x, i()), position(props.y, i())] as const
            return at()[0] === null || at()[1] === null ? null : (
              <circle cx={px(at()[0]!)} cy={py(at()[1]!)} r={props.selected.has(runId) ? 6 : 4} fill={colorFor(runId)}
                opacity={passesBrushes(props.axes, props.brushes, i()) ? 1 : 0.12} data-brushed-out={passesBrushes(props.axes, props.brushes, i()) ? undefined : ''}
                stroke={props.selected.has(runId) ? 'var(--fg)' : 'none'} onClick={() => props.onToggle(runId)}>
                <title>{props.names[runId] || runId}</title>
              </circle>
            )
          }}
        </For>
      </svg>
    </div>
  )
}
