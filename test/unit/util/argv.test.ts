import { describe, expect, it } from 'vitest'
import { joinCommand, splitCommand } from '../../../src/util/argv.ts'

describe('splitCommand: words as a POSIX shell quotes them', () => {
  it.each<[string, string[]]>([
    ['/bin/true', ['/bin/true']],
    ['  /bin/true  ', ['/bin/true']],
    ['', []],
    ['   ', []],
    ["/bin/sh -c 'echo ok | cat'", ['/bin/sh', '-c', 'echo ok | cat']],
    ["/bin/sh -c 'echo $HOME; ls *'", ['/bin/sh', '-c', 'echo $HOME; ls *']],
    ['/bin/echo "a b" c', ['/bin/echo', 'a b', 'c']],
    ['/bin/echo "say \\"hi\\""', ['/bin/echo', 'say "hi"']],
    ['/bin/echo "\\$HOME \\`id\\` \\\\"', ['/bin/echo', '$HOME `id` \\']],
    // Inside double quotes a backslash before another character stays.
    ['/bin/echo "a\\b"', ['/bin/echo', 'a\\b']],
    ['/bin/echo "it\'s"', ['/bin/echo', "it's"]],
    ["/bin/echo 'it'\\''s'", ['/bin/echo', "it's"]],
    ['/bin/echo a\\ b', ['/bin/echo', 'a b']],
    ['/bin/echo \\| \\; \\$x', ['/bin/echo', '|', ';', '$x']],
    ["/bin/echo ''", ['/bin/echo', '']],
    ['/bin/echo ""', ['/bin/echo', '']],
    ['/bin/echo a\'b\'"c"d', ['/bin/echo', 'abcd']],
    ['/bin/echo\ta\nb', ['/bin/echo', 'a', 'b']],
    // '#' starts a comment only at the start of a word.
    ['/bin/echo a#b', ['/bin/echo', 'a#b']],
    ['/bin/printf %s=%d, a=1 key:value', ['/bin/printf', '%s=%d,', 'a=1', 'key:value']],
    ['/bin/echo !', ['/bin/echo', '!']],
  ])('%j', (text, argv) => {
    expect(splitCommand(text)).toEqual(argv)
  })

  it('removes a backslash-newline as a line continuation (POSIX 2.2.1)', () => {
    expect(splitCommand('/bin/echo a \\\n  b')).toEqual(['/bin/echo', 'a', 'b'])
  })
})

describe('splitCommand: refuses what needs a shell', () => {
  it.each([
    ['/bin/echo a | cat', "uses '|', which needs a shell"],
    ['/bin/true; rm -rf /', "uses ';', which needs a shell"],
    ['/bin/true && /bin/false', "uses '&', which needs a shell"],
    ['/bin/sleep 1 &', "uses '&', which needs a shell"],
    ['/bin/echo $HOME', "uses '$', which needs a shell"],
    ['/bin/echo $(id)', "uses '$', which needs a shell"],
    ['/bin/echo `id`', "uses '`', which needs a shell"],
    ['/bin/echo a > /etc/passwd', "uses '>', which needs a shell"],
    ['/bin/cat </etc/shadow', "uses '<', which needs a shell"],
    ['(/bin/true)', "uses '(', which needs a shell"],
    ['/bin/ls *', "uses '*', which needs a shell"],
    ['/bin/ls ?', "uses '?', which needs a shell"],
    ['/bin/ls [ab]', "uses '[', which needs a shell"],
    ['/bin/echo {a,b}', "uses '{', which needs a shell"],
    ['/bin/ls ~', "uses '~', which needs a shell"],
    ['/bin/echo # comment', "uses '#', which needs a shell"],
    ['/bin/echo "$HOME"', "uses '$' inside double quotes, which needs a shell"],
    ['/bin/echo "`id`"', "uses '`' inside double quotes, which needs a shell"],
    ["/bin/echo 'unclosed", 'has an unclosed single quote'],
    ['/bin/echo "unclosed', 'has an unclosed double quote'],
    ['/bin/echo "a\\"', 'has an unclosed double quote'],
    ['/bin/echo a\\', 'ends with a backslash'],
  ])('%j: %s', (text, message) => {
    expect(splitCommand(text)).toBe(message)
  })
})

describe('joinCommand', () => {
  it.each<[string[], string]>([
    [['/bin/sh', '-c', 'true'], '/bin/sh -c true'],
    [['/bin/echo', 'a b', "it's", ''], "/bin/echo 'a b' 'it'\\''s' ''"],
    [['/bin/echo', '$HOME', '*', 'x;y'], "/bin/echo '$HOME' '*' 'x;y'"],
    [['/usr/bin/env', 'A=1', 'key:v,w@x%+'], '/usr/bin/env A=1 key:v,w@x%+'],
  ])('%j', (args, text) => {
    expect(joinCommand(args)).toBe(text)
  })

  it('is read back by splitCommand as the same arguments', () => {
    const tricky = [
      '/bin/sh',
      '-c',
      "echo 'ok' | cat; exit $?",
      '',
      ' ',
      "'",
      '"',
      '\\',
      '$(id)',
      '`id`',
      '#',
      '~',
      'a\nb',
      'tab\there',
      '*?[]{}',
      '--',
    ]
    expect(splitCommand(joinCommand(tricky))).toEqual(tricky)
  })
})
