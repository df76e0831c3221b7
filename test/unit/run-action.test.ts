import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parse } from 'yaml'
import {
  ACTION_DIR,
  inputEnv,
  parseAnnotations,
  parseCommandFile,
} from '../../scripts/run-action.ts'
import { tempDir } from './helpers.ts'

const ACTION_YML = readFileSync(path.join(ACTION_DIR, 'action.yml'), 'utf8')

describe('parseCommandFile', () => {
  it('reads name=value lines; the value may hold =', () => {
    expect(parseCommandFile('rootfs=/s/rootfs\nsize=12.3 MiB\nenv=A=B\nempty=\n')).toEqual({
      rootfs: '/s/rootfs',
      size: '12.3 MiB',
      env: 'A=B',
      empty: '',
    })
  })

  it('reads heredocs: name<<DELIMITER, the lines, DELIMITER', () => {
    const text = [
      'packages<<ghadelimiter_8a1f',
      '=app-shells/bash-5.2_p37-r1',
      '=sys-apps/baselayout-2.14',
      'ghadelimiter_8a1f',
      'smoke-test=passed',
      'empty<<EOF',
      'EOF',
      'with-equals<<EOF',
      'a=b',
      'EOF',
      '',
    ].join('\n')
    expect(parseCommandFile(text)).toEqual({
      packages: '=app-shells/bash-5.2_p37-r1\n=sys-apps/baselayout-2.14',
      'smoke-test': 'passed',
      empty: '',
      'with-equals': 'a=b',
    })
  })

  describe('what @actions/core writes', () => {
    const saved = process.env.GITHUB_OUTPUT
    afterEach(() => {
      if (saved === undefined) delete process.env.GITHUB_OUTPUT
      else process.env.GITHUB_OUTPUT = saved
    })

    it('is read back as it was set', () => {
      const file = path.join(tempDir(), 'set_output')
      writeFileSync(file, '')
      process.env.GITHUB_OUTPUT = file
      core.setOutput('packages', '=app-shells/bash-5.2\n=sys-apps/baselayout-2.14')
      core.setOutput('size', '12.3 MiB')
      core.setOutput('lxc-config', '/s/lxc.conf')
      expect(parseCommandFile(readFileSync(file, 'utf8'))).toEqual({
        packages: '=app-shells/bash-5.2\n=sys-apps/baselayout-2.14',
        size: '12.3 MiB',
        'lxc-config': '/s/lxc.conf',
      })
    })
  })

  /** parseCommandFile(text) in a child process that is killed after four seconds. */
  const inChild = (text: string): SpawnSyncReturns<string> => {
    const script = path.join(tempDir(), 'heredoc.mts')
    const module = new URL('../../scripts/run-action.ts', import.meta.url).href
    writeFileSync(
      script,
      [
        `import { parseCommandFile } from ${JSON.stringify(module)}`,
        `try { console.log(JSON.stringify(parseCommandFile(${JSON.stringify(text)}))) } catch { console.log('threw') }`,
      ].join('\n'),
    )
    return spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 4_000 })
  }

  it('(the child process harness of the next test works)', () => {
    const child = inChild('packages<<EOF\n=app-shells/bash-5.2\nEOF\n')
    expect(child.signal).toBeNull()
    expect(child.stdout.trim()).toBe('{"packages":"=app-shells/bash-5.2"}')
  })

  // A heredoc whose delimiter never comes: indexOf gives -1, the loop starts over from line 0,
  // forever. The runner reports "Matching delimiter not found".
  it('ends on a heredoc without its closing delimiter', () => {
    const child = inChild('packages<<EOF\n=app-shells/bash-5.2\n')
    expect(child.signal).toBeNull()
    expect(child.stdout.trim()).not.toBe('')
  })
})

describe('parseAnnotations', () => {
  it('reads error, warning and notice with their titles, decoding escapes', () => {
    const output = [
      'plain output',
      '::error::boom',
      '::warning title=Size%3A big::over%0Athe budget',
      '::notice file=a.ts,line=1,title=T%2C x::note %25 done',
      '::error title=lxcmin%3A wrong input,file=x::Input%3A%0D%0Anext',
      '::group::Preflight',
      '::debug::hidden',
      '::endgroup::',
    ].join('\n')
    expect(parseAnnotations(output)).toEqual([
      { level: 'error', message: 'boom', title: undefined },
      { level: 'warning', message: 'over\nthe budget', title: 'Size: big' },
      { level: 'notice', message: 'note % done', title: 'T, x' },
      { level: 'error', message: 'Input:\r\nnext', title: 'lxcmin: wrong input' },
    ])
  })

  it('decodes an escaped percent sign once', () => {
    expect(parseAnnotations('::error::100%250A')).toEqual([
      { level: 'error', message: '100%0A', title: undefined },
    ])
  })

  it('ignores workflow commands between ::stop-commands::TOKEN and ::TOKEN::', () => {
    const output = [
      '::error::before',
      '::stop-commands::tok-123',
      '::error::hidden',
      '::warning::hidden too',
      '::other-token::',
      '::error::still hidden',
      '::tok-123::',
      '::error::after',
    ].join('\n')
    expect(parseAnnotations(output).map((a) => a.message)).toEqual(['before', 'after'])
  })

  it('reads what @actions/core prints', () => {
    const printed: string[] = []
    const spy = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk))
        return true
      })
    try {
      core.error("Input 'size-budget': 'big' is not a size;\nwrite 20MiB", {
        title: 'lxcmin: wrong input',
      })
      core.warning('100% sure: a, b', { title: 'host dependencies' })
    } finally {
      spy.mockRestore()
    }
    expect(parseAnnotations(printed.join(''))).toEqual([
      {
        level: 'error',
        message: "Input 'size-budget': 'big' is not a size;\nwrite 20MiB",
        title: 'lxcmin: wrong input',
      },
      { level: 'warning', message: '100% sure: a, b', title: 'host dependencies' },
    ])
  })
})

describe('inputEnv', () => {
  it('maps names as the runner does: INPUT_ and upper case, hyphens kept', () => {
    const env = inputEnv(
      { packages: 'app-shells/bash', 'size-budget': '20MiB', 'keep-sandbox': 'true' },
      ACTION_YML,
    )
    expect(env.INPUT_PACKAGES).toBe('app-shells/bash')
    expect(env['INPUT_SIZE-BUDGET']).toBe('20MiB')
    expect(env['INPUT_KEEP-SANDBOX']).toBe('true')
    expect(env.INPUT_SIZE_BUDGET).toBeUndefined()
  })

  it("fills in action.yml's defaults, and leaves out inputs without one", () => {
    const declared = (parse(ACTION_YML) as { inputs: Record<string, { default?: string }> }).inputs
    const expected: Record<string, string> = {}
    for (const [name, spec] of Object.entries(declared)) {
      if (spec.default !== undefined) expected[`INPUT_${name.toUpperCase()}`] = spec.default
    }
    // The runner evaluates the token expression; here it is GITHUB_TOKEN, unset in tests.
    expected['INPUT_GITHUB-TOKEN'] = ''
    const saved = process.env.GITHUB_TOKEN
    delete process.env.GITHUB_TOKEN
    const env = inputEnv({}, ACTION_YML)
    if (saved !== undefined) process.env.GITHUB_TOKEN = saved
    expect(env).toEqual(expected)
    expect(env).toMatchObject({
      INPUT_PROFILE: 'default/linux/amd64/23.0/no-multilib',
      INPUT_CONFIG: '',
      'INPUT_SMOKE-TIMEOUT': '60',
      'INPUT_SIZE-BUDGET': '',
      'INPUT_HOST-DEPS': 'warn',
      'INPUT_KEEP-SANDBOX': 'false',
    })
    expect(env).not.toHaveProperty('INPUT_PACKAGES')
  })

  it('a given input wins over the default, even when empty', () => {
    const env = inputEnv({ 'host-deps': 'deny', profile: '' }, ACTION_YML)
    expect(env['INPUT_HOST-DEPS']).toBe('deny')
    expect(env.INPUT_PROFILE).toBe('')
  })

  it('spaces in a name become underscores', () => {
    expect(inputEnv({}, 'inputs:\n  my input:\n    default: x\n')).toEqual({ INPUT_MY_INPUT: 'x' })
  })

  it.each(['size_budget', 'sizeBudget', 'Packages', 'nope'])(
    'throws on the undeclared input %j',
    (name) => {
      expect(() => inputEnv({ [name]: 'x' }, ACTION_YML)).toThrow(
        `action.yml declares no input '${name}'`,
      )
    },
  )

  describe('as @actions/core reads them', () => {
    const before = { ...process.env }
    afterEach(() => {
      for (const key of Object.keys(process.env))
        if (key.startsWith('INPUT_') && !(key in before)) Reflect.deleteProperty(process.env, key)
    })

    it('getInput finds every value', () => {
      Object.assign(
        process.env,
        inputEnv({ packages: 'app-shells/bash', 'size-budget': '20MiB' }, ACTION_YML),
      )
      expect(core.getInput('packages')).toBe('app-shells/bash')
      expect(core.getInput('size-budget')).toBe('20MiB')
      expect(core.getInput('smoke-timeout')).toBe('60')
      expect(core.getInput('host-deps')).toBe('warn')
    })
  })
})
