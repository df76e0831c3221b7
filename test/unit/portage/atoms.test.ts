import { describe, expect, it } from 'vitest'
import { type Atom, isUseToken, parseAtom } from '../../../src/portage/atoms.ts'

function parsed(text: string): Atom {
  const atom = parseAtom(text)
  if (typeof atom === 'string') throw new Error(`expected an atom, got: ${atom}`)
  return atom
}

function refused(text: string): string {
  const result = parseAtom(text)
  if (typeof result !== 'string') throw new Error(`expected a refusal for ${text}`)
  return result
}

describe('parseAtom: valid atoms', () => {
  type Parts = Omit<Atom, 'text'>
  const plain = { operator: '', version: undefined, slot: undefined, repo: undefined, use: [] }
  it.each<[string, Parts]>([
    ['app-shells/bash', { ...plain, category: 'app-shells', name: 'bash' }],
    ['sys-apps/baselayout', { ...plain, category: 'sys-apps', name: 'baselayout' }],
    ['x11-libs/gtk+', { ...plain, category: 'x11-libs', name: 'gtk+' }],
    ['dev-libs/libfoo-compat', { ...plain, category: 'dev-libs', name: 'libfoo-compat' }],
    // A name part that starts with digits but is no version: 100dpi.
    [
      'media-fonts/font-adobe-100dpi',
      { ...plain, category: 'media-fonts', name: 'font-adobe-100dpi' },
    ],
    [
      '>=app-shells/bash-5.2',
      { ...plain, operator: '>=', category: 'app-shells', name: 'bash', version: '5.2' },
    ],
    [
      '<=sys-libs/glibc-2.40-r1',
      { ...plain, operator: '<=', category: 'sys-libs', name: 'glibc', version: '2.40-r1' },
    ],
    [
      '<dev-lang/python-3.13',
      { ...plain, operator: '<', category: 'dev-lang', name: 'python', version: '3.13' },
    ],
    [
      '>sys-apps/portage-3.0.60',
      { ...plain, operator: '>', category: 'sys-apps', name: 'portage', version: '3.0.60' },
    ],
    [
      '~app-shells/bash-5.2_p37',
      { ...plain, operator: '~', category: 'app-shells', name: 'bash', version: '5.2_p37' },
    ],
    [
      '=app-shells/bash-5.2_p37-r1',
      { ...plain, operator: '=', category: 'app-shells', name: 'bash', version: '5.2_p37-r1' },
    ],
    [
      '=sys-devel/gcc-14.2.1_p20241221',
      { ...plain, operator: '=', category: 'sys-devel', name: 'gcc', version: '14.2.1_p20241221' },
    ],
    [
      '=app-misc/foo-1.0a_alpha1_beta2_pre3_rc4_p5-r6',
      {
        ...plain,
        operator: '=',
        category: 'app-misc',
        name: 'foo',
        version: '1.0a_alpha1_beta2_pre3_rc4_p5-r6',
      },
    ],
    // The '*' of a prefix match is not part of the version.
    [
      '=dev-lang/python-3.12*',
      { ...plain, operator: '=', category: 'dev-lang', name: 'python', version: '3.12' },
    ],
    ['dev-lang/python:3.12', { ...plain, category: 'dev-lang', name: 'python', slot: '3.12' }],
    ['dev-libs/openssl:0/3', { ...plain, category: 'dev-libs', name: 'openssl', slot: '0/3' }],
    ['dev-libs/openssl:=', { ...plain, category: 'dev-libs', name: 'openssl', slot: '=' }],
    ['dev-libs/openssl:0=', { ...plain, category: 'dev-libs', name: 'openssl', slot: '0=' }],
    ['dev-libs/openssl:0/3=', { ...plain, category: 'dev-libs', name: 'openssl', slot: '0/3=' }],
    ['dev-lang/perl:*', { ...plain, category: 'dev-lang', name: 'perl', slot: '*' }],
    ['app-shells/bash::gentoo', { ...plain, category: 'app-shells', name: 'bash', repo: 'gentoo' }],
    [
      'sys-apps/baselayout::lxcmin-gentoo',
      { ...plain, category: 'sys-apps', name: 'baselayout', repo: 'lxcmin-gentoo' },
    ],
    [
      'app-shells/bash[a,-b,c?,!d=,e(+)]',
      { ...plain, category: 'app-shells', name: 'bash', use: ['a', '-b', 'c?', '!d=', 'e(+)'] },
    ],
    [
      'app-shells/bash[python_targets_python3_12(-)?]',
      { ...plain, category: 'app-shells', name: 'bash', use: ['python_targets_python3_12(-)?'] },
    ],
    [
      '>=app-shells/bash-5.2:0::gentoo[readline]',
      {
        operator: '>=',
        category: 'app-shells',
        name: 'bash',
        version: '5.2',
        slot: '0',
        repo: 'gentoo',
        use: ['readline'],
      },
    ],
    [
      '=app-shells/bash-5.2_p37-r1:0/5.2=::gentoo[a,-b,c?,!d=,e(+)]',
      {
        operator: '=',
        category: 'app-shells',
        name: 'bash',
        version: '5.2_p37-r1',
        slot: '0/5.2=',
        repo: 'gentoo',
        use: ['a', '-b', 'c?', '!d=', 'e(+)'],
      },
    ],
  ])('%s', (text, parts) => {
    expect(parseAtom(text)).toEqual({ text, ...parts })
  })
})

describe('parseAtom: refusals', () => {
  const notAnAtom =
    'is not a Gentoo package atom; write category/package with an optional version, slot, repository and USE dependencies, e.g. >=app-shells/bash-5.2:0::gentoo[readline]'

  it.each([
    'app-shells/bash;rm -rf /',
    'app-shells/bash;rm',
    '$(x)',
    'app-shells/$(x)',
    'app-shells/bash`id`',
    'app-shells/bash&&true',
    'app-shells/bash|cat',
    'app-shells/bash>/etc/passwd',
    'app-shells/bash\nrm',
    // Options must never reach emerge as packages.
    '--pretend',
    '-v',
    '/bin/bash',
    'app-shells/',
    '/bash',
    'app-shells/bash/extra',
    'app-shells/bash:',
    'app-shells/bash::',
    'app-shells/bash[',
    'app-shells/bash[]',
    'app-shells/bash[a b]',
    'app-shells/bash[a,]',
    '=app-shells/bash-5.2-r',
    '==app-shells/bash-5.2',
    '',
  ])('%j is not an atom', (text) => {
    expect(refused(text)).toBe(`'${text}' ${notAnAtom}`)
  })

  it.each([
    ['bash', 'app-shells/bash'],
    ['baselayout', 'app-shells/baselayout'],
  ])('%s has no category: the message asks for category/package', (text, example) => {
    expect(refused(text)).toBe(
      `'${text}' has no category; write it as category/package, e.g. ${example}`,
    )
  })

  it.each([
    [
      'app-shells/bash-5.2',
      "'app-shells/bash-5.2' has a version but no operator; write =app-shells/bash-5.2",
    ],
    ['app-misc/foo-1', "'app-misc/foo-1' has a version but no operator; write =app-misc/foo-1"],
    [
      'app-shells/bash-5.2_p37-r1:0',
      "'app-shells/bash-5.2_p37-r1:0' has a version but no operator; write =app-shells/bash-5.2_p37-r1:0",
    ],
    [
      '>=app-shells/bash',
      "'>=app-shells/bash' has the operator '>=' but no version; e.g. >=app-shells/bash-1.0",
    ],
    [
      '~app-shells/bash:0',
      "'~app-shells/bash:0' has the operator '~' but no version; e.g. ~app-shells/bash-1.0",
    ],
    [
      '>=dev-lang/python-3.12*',
      "'>=dev-lang/python-3.12*': a version ending in '*' needs the '=' operator",
    ],
    [
      '~dev-lang/python-3.12*',
      "'~dev-lang/python-3.12*': a version ending in '*' needs the '=' operator",
    ],
  ])('%s', (text, message) => {
    expect(refused(text)).toBe(message)
  })

  it.each(['bash', 'app-shells/bash-5.2', '>=app-shells/bash', 'app-shells/bash;rm'])(
    'the advice for %j is itself a valid atom',
    (text) => {
      const advice = /(?:e\.g\.|write) (\S+)$/.exec(refused(text))?.[1]
      expect(advice).toBeDefined()
      expect(typeof parseAtom(advice ?? '')).toBe('object')
    },
  )

  it('keeps the text it parsed', () => {
    expect(parsed('>=app-shells/bash-5.2').text).toBe('>=app-shells/bash-5.2')
  })
})

describe('isUseToken', () => {
  it.each([
    'readline',
    '-nls',
    '-*',
    'python_targets_python3_12',
    'abi_x86_64',
    'l10n_en-GB',
    'foo+bar',
    'X',
    '3dnow',
    'foo@bar',
  ])('accepts %j', (token) => {
    expect(isUseToken(token)).toBe(true)
  })

  it.each([
    '',
    '*',
    '-',
    '--nls',
    '+readline',
    'foo=bar',
    '$(x)',
    'foo;',
    '"nls"',
    '-*x',
    '_foo',
    'a b',
    'nls\n',
  ])('refuses %j', (token) => {
    expect(isUseToken(token)).toBe(false)
  })
})
