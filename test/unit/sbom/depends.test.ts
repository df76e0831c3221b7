import { describe, expect, it } from 'vitest'
import {
  atomTarget,
  resolveDepends,
  sourceUrls,
  type Installed,
} from '../../../src/sbom/depends.ts'

const installed: Installed[] = [
  { key: 'sys-libs/readline-8.2', category: 'sys-libs', name: 'readline', slot: '0' },
  { key: 'sys-libs/ncurses-6.4', category: 'sys-libs', name: 'ncurses', slot: '0' },
  { key: 'dev-lang/python-3.11', category: 'dev-lang', name: 'python', slot: '3.11' },
  { key: 'dev-lang/python-3.12', category: 'dev-lang', name: 'python', slot: '3.12' },
  { key: 'virtual/libc-1', category: 'virtual', name: 'libc', slot: '0' },
]
const resolve = (rdepend: string, use: string[] = []): string[] =>
  resolveDepends(rdepend, new Set(use), installed)

describe('atomTarget', () => {
  it.each([
    ['sys-libs/readline', { category: 'sys-libs', name: 'readline', slot: undefined }],
    ['>=sys-libs/readline-8.2:0/8=', { category: 'sys-libs', name: 'readline', slot: '0' }],
    [
      '~sys-libs/ncurses-6.4:0=[abi_x86_64(-)]',
      { category: 'sys-libs', name: 'ncurses', slot: '0' },
    ],
    ['=dev-lang/python-3.12*:3.12', { category: 'dev-lang', name: 'python', slot: '3.12' }],
    ['dev-lang/python:=', { category: 'dev-lang', name: 'python', slot: undefined }],
    ['dev-lang/python:*', { category: 'dev-lang', name: 'python', slot: undefined }],
    ['<virtual/libc-2::gentoo', { category: 'virtual', name: 'libc', slot: undefined }],
  ])('%s', (atom, target) => {
    expect(atomTarget(atom)).toEqual(target)
  })

  it('is undefined for what is no atom', () => {
    expect(atomTarget('readline')).toBeUndefined()
  })
})

describe('resolveDepends', () => {
  it('resolves atoms to installed packages by category/name, once each, sorted', () => {
    expect(
      resolve('>=sys-libs/readline-8.2:0/8= sys-libs/ncurses:0= virtual/libc sys-libs/readline'),
    ).toEqual(['sys-libs/ncurses-6.4', 'sys-libs/readline-8.2', 'virtual/libc-1'])
  })

  it('matches the slot an atom gives', () => {
    expect(resolve('dev-lang/python:3.12')).toEqual(['dev-lang/python-3.12'])
    expect(resolve('dev-lang/python:3.10')).toEqual([])
    expect(resolve('dev-lang/python')).toEqual(['dev-lang/python-3.11', 'dev-lang/python-3.12'])
  })

  it('leaves out blockers and what is not installed', () => {
    expect(resolve('!sys-libs/readline !!<sys-libs/ncurses-6 app-misc/absent')).toEqual([])
  })

  it('takes the first alternative of || ( ) that is installed', () => {
    expect(resolve('|| ( sys-libs/termcap sys-libs/ncurses sys-libs/readline )')).toEqual([
      'sys-libs/ncurses-6.4',
    ])
    expect(
      resolve('|| ( ( sys-libs/readline app-misc/absent ) ( virtual/libc sys-libs/ncurses ) )'),
    ).toEqual(['sys-libs/ncurses-6.4', 'virtual/libc-1'])
    expect(resolve('|| ( app-misc/a app-misc/b )')).toEqual([])
  })

  it('decides USE-conditionals by the flags', () => {
    expect(
      resolve('readline? ( sys-libs/readline ) !readline? ( sys-libs/ncurses )', ['readline']),
    ).toEqual(['sys-libs/readline-8.2'])
    expect(resolve('readline? ( sys-libs/readline ) !readline? ( sys-libs/ncurses )')).toEqual([
      'sys-libs/ncurses-6.4',
    ])
  })
})

describe('sourceUrls', () => {
  it('keeps the URLs, drops renames and bare names, decides conditionals', () => {
    expect(
      sourceUrls(
        'mirror://gnu/bash/bash-5.2.tar.gz https://e.org/p/bash52-015 -> bash-5.2-p15.patch doc? ( https://e.org/doc.tgz ) !doc? ( ftp://e.org/small.tgz ) restricted.tgz mirror://gnu/bash/bash-5.2.tar.gz',
        new Set(),
      ),
    ).toEqual([
      'mirror://gnu/bash/bash-5.2.tar.gz',
      'https://e.org/p/bash52-015',
      'ftp://e.org/small.tgz',
    ])
    expect(sourceUrls('doc? ( https://e.org/doc.tgz -> d.tgz )', new Set(['doc']))).toEqual([
      'https://e.org/doc.tgz',
    ])
    expect(sourceUrls('', new Set())).toEqual([])
  })
})
