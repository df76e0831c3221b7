/**
 * Splits a command line into arguments the way a POSIX shell quotes words, without running a
 * shell: single quotes, double quotes (with \" \\ \$ \` escapes) and backslashes. Anything a
 * shell would interpret (pipes, redirections, variables, globs) is refused with advice.
 */
export function splitCommand(text: string): string[] | string {
  const args: string[] = []
  let word: string | undefined
  let i = 0
  const push = (s: string): void => {
    word = (word ?? '') + s
  }
  while (i < text.length) {
    const c = text.charAt(i)
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== undefined) args.push(word)
      word = undefined
      i++
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1)
      if (end < 0) return 'has an unclosed single quote'
      push(text.slice(i + 1, end))
      i = end + 1
    } else if (c === '"') {
      let j = i + 1
      let s = ''
      while (j < text.length && text.charAt(j) !== '"') {
        if (text.charAt(j) === '\\' && '"\\$`\n'.includes(text.charAt(j + 1))) {
          if (text.charAt(j + 1) !== '\n') s += text.charAt(j + 1)
          j += 2
        } else if ('$`'.includes(text.charAt(j))) {
          return `uses '${text.charAt(j)}' inside double quotes, which needs a shell`
        } else {
          s += text.charAt(j++)
        }
      }
      if (j >= text.length) return 'has an unclosed double quote'
      push(s)
      i = j + 1
    } else if (c === '\\') {
      if (i + 1 >= text.length) return 'ends with a backslash'
      // Backslash-newline continues the line, as in a shell.
      if (text.charAt(i + 1) !== '\n') push(text.charAt(i + 1))
      i += 2
    } else if ('|&;<>()$`*?[]{}~#'.includes(c) && !(c === '#' && word !== undefined)) {
      return `uses '${c}', which needs a shell`
    } else {
      push(c)
      i++
    }
  }
  if (word !== undefined) args.push(word)
  return args
}

/** The command line again, quoted so that splitCommand gives back the same arguments. */
export function joinCommand(args: readonly string[]): string {
  return args
    .map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ')
}
