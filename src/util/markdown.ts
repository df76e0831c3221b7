/** Text for the job summary and pull request comments, which GitHub renders as Markdown with HTML. */

export function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}
