// Whether a key press is typing into a field. Keyboard shortcuts (`/`, Esc)
// stay with the page when focus is on a checkbox, a button or a select:
// selecting a run by its checkbox leaves focus there, and Esc must still
// clear the selection.
const NOT_TEXT = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file', 'image'])

export function isTextEntry(target: EventTarget | null): boolean {
  if (target instanceof HTMLTextAreaElement) return true
  if (target instanceof HTMLInputElement) return !NOT_TEXT.has(target.type)
  return target instanceof HTMLElement && target.isContentEditable
}
