import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { CommandError } from '../../../src/util/errors.ts'
import {
  type Command,
  createRunner,
  describe as describeCommand,
  invocation,
  lastLines,
} from '../../../src/util/exec.ts'
import { parseAnnotations } from '../../../scripts/run-action.ts'
import { tempDir } from '../helpers.ts'

const EMERGE: Command = {
  file: '/usr/bin/emerge',
  args: ['--pretend', 'app-shells/bash'],
  env: { ROOT: '/s/rootfs', PORTAGE_CONFIGROOT: '/s/portage' },
  privileged: true,
}

describe('invocation', () => {
  it('as root: the command itself, with its environment', () => {
    expect(invocation(EMERGE, 'root')).toEqual({
      file: '/usr/bin/emerge',
      args: ['--pretend', 'app-shells/bash'],
      env: { ROOT: '/s/rootfs', PORTAGE_CONFIGROOT: '/s/portage' },
    })
  })

  it('through sudo: sudo -n, and the environment handed over with env(1)', () => {
    expect(invocation(EMERGE, 'sudo')).toEqual({
      file: 'sudo',
      args: [
        '-n',
        '--',
        'env',
        'ROOT=/s/rootfs',
        'PORTAGE_CONFIGROOT=/s/portage',
        '/usr/bin/emerge',
        '--pretend',
        'app-shells/bash',
      ],
      env: {},
    })
  })

  it('through sudo without an environment', () => {
    expect(
      invocation(
        { file: '/bin/mkdir', args: ['-p', '--', '/s/rootfs/dev'], privileged: true },
        'sudo',
      ),
    ).toEqual({
      file: 'sudo',
      args: ['-n', '--', 'env', '/bin/mkdir', '-p', '--', '/s/rootfs/dev'],
      env: {},
    })
  })

  it('an unprivileged command never goes through sudo', () => {
    const command: Command = { file: '/usr/bin/du', args: ['-s'], env: { LC_ALL: 'C' } }
    expect(invocation(command, 'sudo')).toEqual({
      file: '/usr/bin/du',
      args: ['-s'],
      env: { LC_ALL: 'C' },
    })
    expect(invocation({ ...command, privileged: false }, 'sudo').file).toBe('/usr/bin/du')
  })

  it('hands out copies', () => {
    const result = invocation(EMERGE, 'root')
    result.args.push('--oops')
    result.env.ROOT = '/'
    expect(EMERGE.args).toEqual(['--pretend', 'app-shells/bash'])
    expect(EMERGE.env?.ROOT).toBe('/s/rootfs')
  })
})

describe('describe', () => {
  it.each<[Command, string]>([
    [{ file: '/bin/echo', args: ['plain-1.0:x/y=z,w@%+'] }, '/bin/echo plain-1.0:x/y=z,w@%+'],
    [{ file: '/bin/echo', args: ['a b', "it's", ''] }, "/bin/echo 'a b' 'it'\\''s' ''"],
    [{ file: '/bin/echo', args: ['$(id)', 'x;y', '*'] }, "/bin/echo '$(id)' 'x;y' '*'"],
    [
      EMERGE,
      'ROOT=/s/rootfs PORTAGE_CONFIGROOT=/s/portage /usr/bin/emerge --pretend app-shells/bash',
    ],
    [{ file: '/x', args: [], env: { V: 'a b' } }, "V='a b' /x"],
  ])('%j', (command, text) => {
    expect(describeCommand(command)).toBe(text)
  })

  it('gives back the arguments when a shell reads it', async () => {
    const args = ['[%s]\\n', 'a b', "it's", '', '$(id)', 'x;y', 'tab\there', '"dq"', 'back\\slash']
    const result = await createRunner('root').run({
      file: '/bin/sh',
      args: ['-c', describeCommand({ file: 'printf', args })],
    })
    expect(result.stdout.split('\n')).toEqual(args.slice(1).map((a) => `[${a}]`))
  })
})

describe('lastLines', () => {
  it.each<[string, number, string[]]>([
    ['a\nb\nc\n', 2, ['b', 'c']],
    ['a\nb\n\n\n', 5, ['a', 'b']],
    ['a', 1, ['a']],
    ['', 3, []],
    ['\n\n', 3, []],
  ])('%j, %d', (text, count, lines) => {
    expect(lastLines(text, count)).toEqual(lines)
  })
})

describe('createRunner', () => {
  const runner = createRunner('root', () => undefined)

  it('runs a command and returns its output', async () => {
    const result = await runner.run({ file: '/bin/echo', args: ['hello', 'world'] })
    expect(result).toEqual({
      exitCode: 0,
      stdout: 'hello world',
      stderr: '',
      tail: ['hello world'],
      timedOut: false,
    })
  })

  it('passes arguments as they are, no shell in between', async () => {
    const result = await runner.run({ file: '/bin/echo', args: ['$HOME', '`id`', ';', '*'] })
    expect(result.stdout).toBe('$HOME `id` ; *')
  })

  it("adds the command's environment to the action's own", async () => {
    const result = await runner.run({
      file: '/bin/sh',
      args: ['-c', 'printf "%s|%s" "$LXCMIN_T" "$PATH"'],
      env: { LXCMIN_T: 'v w' },
    })
    expect(result.stdout).toBe(`v w|${process.env.PATH ?? ''}`)
  })

  it('runs in cwd', async () => {
    const dir = tempDir()
    expect((await runner.run({ file: '/bin/pwd', args: [], cwd: dir })).stdout).toBe(dir)
  })

  it('a non-zero exit is a CommandError with the exit code and the tail of both streams', async () => {
    const error = await runner
      .run({ file: '/bin/sh', args: ['-c', 'echo out; echo err >&2; exit 3'] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommandError)
    const commandError = error as CommandError
    expect(commandError.exitCode).toBe(3)
    expect(commandError.tail).toEqual(['out', 'err'])
    expect(commandError.message).toBe(
      "/bin/sh -c 'echo out; echo err >&2; exit 3' exited with 3\nout\nerr",
    )
  })

  it('allowFailure: returns the exit code instead', async () => {
    const result = await runner.run(
      { file: '/bin/sh', args: ['-c', 'echo out; echo err >&2; exit 3'] },
      { allowFailure: true },
    )
    expect(result).toEqual({
      exitCode: 3,
      stdout: 'out',
      stderr: 'err',
      tail: ['out', 'err'],
      timedOut: false,
    })
  })

  it('a program that does not exist could not be run, even with allowFailure', async () => {
    for (const options of [{}, { allowFailure: true }, { stream: true }]) {
      const error = await runner
        .run({ file: '/nonexistent/lxcmin-tool', args: ['x'] }, options)
        .catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CommandError)
      expect((error as CommandError).exitCode).toBeUndefined()
      expect((error as CommandError).message).toMatch(
        /^\/nonexistent\/lxcmin-tool x could not be run: .*ENOENT/,
      )
    }
  })

  it('keeps the last 60 lines as the tail', async () => {
    const result = await runner.run({ file: 'seq', args: ['1', '100'] })
    expect(result.tail).toHaveLength(60)
    expect(result.tail[0]).toBe('41')
    expect(result.tail.at(-1)).toBe('100')
    expect(result.stdout.split('\n')).toHaveLength(100)
  })

  // A process killed by a signal did run: "could not be run" sends the reader looking for a
  // missing program. (And allowFailure callers, e.g. the smoke test, get an exception instead.)
  it('a command killed by a signal is not reported as one that could not be run', async () => {
    const error = await runner
      .run({ file: '/bin/sh', args: ['-c', 'kill -KILL $$'] })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommandError)
    expect((error as CommandError).message).not.toContain('could not be run')
  })
})

describe('createRunner: onStdout', () => {
  const runner = createRunner('root', () => undefined)

  it('hands over the raw bytes of standard output, and keeps none of it', async () => {
    const chunks: Buffer[] = []
    const result = await runner.run(
      {
        file: '/bin/sh',
        args: ['-c', "printf 'a\\377b\\0'; head -c 300000 /dev/zero; echo oops >&2; exit 3"],
      },
      { allowFailure: true, onStdout: (chunk) => chunks.push(chunk) },
    )
    const bytes = Buffer.concat(chunks)
    expect(bytes.length).toBe(300_004)
    expect([...bytes.subarray(0, 4)]).toEqual([0x61, 0xff, 0x62, 0x00])
    expect(result).toEqual({
      exitCode: 3,
      stdout: '',
      stderr: 'oops',
      tail: ['oops'],
      timedOut: false,
    })
  })

  it('stops the command and throws what the consumer threw', async () => {
    const run = runner.run(
      { file: '/bin/sh', args: ['-c', 'echo first; exec sleep 30'] },
      {
        onStdout: () => {
          throw new Error('cannot read this')
        },
      },
    )
    await expect(run).rejects.toThrow('cannot read this')
  })
})

describe('createRunner: streaming', () => {
  const collect = (): { write: (t: string) => void; text: () => string; chunks: string[] } => {
    const chunks: string[] = []
    return { write: (t) => chunks.push(t), text: () => chunks.join(''), chunks }
  }

  it('wraps the output in stop-commands, so that the runner reads no workflow command in it', async () => {
    const out = collect()
    const result = await createRunner('root', out.write).run(
      { file: '/bin/sh', args: ['-c', 'echo one; echo "::error::injected"; echo two >&2'] },
      { stream: true },
    )
    const first = out.chunks[0] ?? ''
    const token = /^::stop-commands::([0-9a-f-]{36})\n$/.exec(first)?.[1]
    expect(token).toBeDefined()
    expect(out.chunks.at(-1)).toBe(`::${token ?? ''}::\n`)
    expect(out.chunks.slice(1, -1).sort()).toEqual(['::error::injected\n', 'one\n', 'two\n'])
    // Streamed: nothing captured but the tail (stdout and stderr interleave in any order).
    expect({ ...result, tail: [...result.tail].sort() }).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
      tail: ['::error::injected', 'one', 'two'],
      timedOut: false,
    })
    expect(parseAnnotations(out.text())).toEqual([])
    expect(parseAnnotations(`${out.text()}::error::after\n`)).toEqual([
      { level: 'error', message: 'after', title: undefined },
    ])
  })

  it('onLine sees every line as it comes', async () => {
    const lines: string[] = []
    const out = collect()
    await createRunner('root', out.write).run(
      { file: 'seq', args: ['1', '100'] },
      { stream: true, onLine: (l) => lines.push(l) },
    )
    expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => String(i + 1)))
  })

  it('a new token each run', async () => {
    const out = collect()
    const runner = createRunner('root', out.write)
    await runner.run({ file: '/bin/true', args: [] }, { stream: true })
    await runner.run({ file: '/bin/true', args: [] }, { stream: true })
    const tokens = out.chunks.filter((c) => c.startsWith('::stop-commands::'))
    expect(tokens).toHaveLength(2)
    expect(tokens[0]).not.toBe(tokens[1])
  })

  it('keeps only the tail, in order', async () => {
    const out = collect()
    const result = await createRunner('root', out.write).run(
      { file: 'seq', args: ['1', '100'] },
      { stream: true },
    )
    expect(result.tail).toEqual(Array.from({ length: 60 }, (_, i) => String(i + 41)))
    expect(out.chunks).toHaveLength(102)
  })

  it('closes the stop-commands block when the command fails', async () => {
    const out = collect()
    const error = await createRunner('root', out.write)
      .run({ file: '/bin/sh', args: ['-c', 'echo bad; exit 2'] }, { stream: true })
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CommandError)
    expect((error as CommandError).tail).toEqual(['bad'])
    expect(out.chunks.at(-1)).toMatch(/^::[0-9a-f-]{36}::\n$/)
    expect(parseAnnotations(out.text() + '::warning::visible\n')).toHaveLength(1)
  })
})

describe('createRunner: timeouts', () => {
  it('calls onTimeout, kills the command and says it timed out', async () => {
    let calls = 0
    const started = Date.now()
    const result = await createRunner('root', () => undefined).run(
      { file: 'sleep', args: ['10'] },
      {
        timeoutMs: 300,
        onTimeout: () => {
          calls++
          return Promise.resolve()
        },
      },
    )
    expect(calls).toBe(1)
    expect(result.timedOut).toBe(true)
    expect(result.exitCode).not.toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('waits for onTimeout before it kills', async () => {
    const events: string[] = []
    const out: string[] = []
    const result = await createRunner('root', (t) => out.push(t)).run(
      {
        file: '/bin/sh',
        args: ['-c', 'trap "echo TERM; exit 143" TERM; echo ready; while :; do sleep 0.05; done'],
      },
      {
        stream: true,
        timeoutMs: 300,
        onTimeout: async () => {
          events.push(`onTimeout, terminated: ${String(out.includes('TERM\n'))}`)
          await new Promise((r) => setTimeout(r, 200))
          events.push(`onTimeout done, terminated: ${String(out.includes('TERM\n'))}`)
        },
      },
    )
    expect(result.timedOut).toBe(true)
    expect(events).toEqual(['onTimeout, terminated: false', 'onTimeout done, terminated: false'])
    expect(result.tail).toEqual(['ready', 'TERM'])
  })

  it('a timeout without onTimeout, while streaming', async () => {
    const result = await createRunner('root', () => undefined).run(
      { file: 'sleep', args: ['10'] },
      { timeoutMs: 300, stream: true },
    )
    expect(result.timedOut).toBe(true)
  })

  it('a command that ends in time has not timed out', async () => {
    const result = await createRunner('root', () => undefined).run(
      { file: '/bin/true', args: [] },
      { timeoutMs: 5_000 },
    )
    expect(result.timedOut).toBe(false)
    expect(result.exitCode).toBe(0)
  })

  /** Runs `sleep 10` with a 200 ms timeout and the given onTimeout in a child process. */
  const inChild = (onTimeout: string): SpawnSyncReturns<string> => {
    const script = path.join(tempDir(), 'timeout.mts')
    const exec = new URL('../../../src/util/exec.ts', import.meta.url).href
    writeFileSync(
      script,
      [
        `import { createRunner } from ${JSON.stringify(exec)}`,
        `const result = await createRunner('root', () => undefined).run({ file: 'sleep', args: ['10'] }, {`,
        `  timeoutMs: 200, onTimeout: ${onTimeout} })`,
        `console.log(JSON.stringify({ timedOut: result.timedOut }))`,
      ].join('\n'),
    )
    return spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 })
  }

  it('(the child process harness of the next test works)', () => {
    const child = inChild('() => Promise.resolve()')
    expect(child.stderr).toBe('')
    expect(child.status).toBe(0)
    expect(child.stdout.trim()).toBe('{"timedOut":true}')
  })

  // The onTimeout promise is discarded with `void (...).finally(...)`: when it rejects (lxc-stop
  // could not be run), Node ends the process with an unhandled rejection. Run in a child process,
  // so that the rejection cannot disturb this test run.
  it('survives an onTimeout that rejects', () => {
    const child = inChild("() => Promise.reject(new Error('lxc-stop could not be run'))")
    expect(child.stderr).not.toContain('lxc-stop could not be run')
    expect(child.status).toBe(0)
    expect(child.stdout.trim()).toBe('{"timedOut":true}')
  })
})
