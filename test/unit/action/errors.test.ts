import { describe, expect, it } from 'vitest'
import { BuildError, CommandError, InputError } from '../../../src/util/errors.ts'
import { loadRunState } from '../../../src/action/state.ts'

describe('InputError', () => {
  it('one problem: names the input in the message', () => {
    const error = new InputError([{ input: 'size-budget', message: "'big' is not a size" }])
    expect(error.message).toBe("Input 'size-budget': 'big' is not a size")
    expect(error.name).toBe('InputError')
    expect(error).toBeInstanceOf(Error)
  })

  it('several problems: one line each', () => {
    const error = new InputError([
      { input: 'packages', message: 'is required' },
      { input: 'name', message: "'a/b' is not a container name" },
    ])
    expect(error.message).toBe(
      "2 inputs are wrong:\n- 'packages': is required\n- 'name': 'a/b' is not a container name",
    )
    expect(error.problems).toHaveLength(2)
  })
})

describe('CommandError', () => {
  it('an exit code, and the tail of the output', () => {
    const error = new CommandError('/usr/bin/emerge x', 1, ['a', 'b'])
    expect(error.message).toBe('/usr/bin/emerge x exited with 1\na\nb')
    expect(error).toMatchObject({
      name: 'CommandError',
      command: '/usr/bin/emerge x',
      exitCode: 1,
      tail: ['a', 'b'],
    })
  })

  it('no exit code: could not be run', () => {
    expect(new CommandError('/x', undefined, []).message).toBe('/x could not be run')
  })

  it('a reason of its own', () => {
    expect(new CommandError('/x', undefined, ['t'], 'could not be run: ENOENT').message).toBe(
      '/x could not be run: ENOENT\nt',
    )
  })
})

describe('BuildError', () => {
  it('keeps its cause', () => {
    const cause = new Error('inner')
    const error = new BuildError('outer', { cause })
    expect(error).toMatchObject({ name: 'BuildError', message: 'outer', cause })
  })
})

describe('loadRunState', () => {
  it('reads the JSON the main step saved under its state name', () => {
    const saved = {
      sandbox: { dir: '/t/lxcmin/bash-1-1-abc' },
      keepSandbox: false,
      privilege: 'sudo',
    }
    const asked: string[] = []
    const read = (name: string): string => {
      asked.push(name)
      return JSON.stringify(saved)
    }
    expect(loadRunState(read)).toEqual(saved)
    expect(asked).toEqual(['lxcmin'])
  })

  it('is undefined when the main step saved nothing', () => {
    expect(loadRunState(() => '')).toBeUndefined()
  })
})
