import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseReposConf, reposConfText, repositoryName } from '../../../src/portage/repos.ts'
import { tempDir, writeFile } from '../helpers.ts'

// As `portageq repos_config /` prints it.
const PORTAGEQ = `[DEFAULT]
auto-sync = yes
main-repo = gentoo
sync-rsync-extra-opts = 

[gentoo]
auto-sync = yes
location = /var/db/repos/gentoo
masters = 
priority = -1000
sync-type = rsync
sync-uri = rsync://rsync.gentoo.org/gentoo-portage

[lxcmin-gentoo]
# a comment
; another comment
location=/work/main/test/gentoo/repo
`

describe('parseReposConf', () => {
  it('reads the main repository and every location', () => {
    const conf = parseReposConf(PORTAGEQ)
    expect(conf.mainRepo).toBe('gentoo')
    expect([...conf.locations]).toEqual([
      ['gentoo', '/var/db/repos/gentoo'],
      ['lxcmin-gentoo', '/work/main/test/gentoo/repo'],
    ])
  })

  it('has no main repository without a DEFAULT section', () => {
    const conf = parseReposConf('[testrepo]\nlocation = /r\n')
    expect(conf.mainRepo).toBeUndefined()
    expect(conf.locations.get('testrepo')).toBe('/r')
  })

  it('ignores keys before any section, sections without a location and empty locations', () => {
    const conf = parseReposConf(
      'location = /nowhere\n[a]\npriority = 1\n[b]\nlocation =\n[ c ]\nlocation = /c\n',
    )
    expect([...conf.locations]).toEqual([['c', '/c']])
  })

  it('reads CRLF files', () => {
    const conf = parseReposConf('[DEFAULT]\r\nmain-repo = gentoo\r\n[gentoo]\r\nlocation = /g\r\n')
    expect(conf.mainRepo).toBe('gentoo')
    expect(conf.locations.get('gentoo')).toBe('/g')
  })
})

describe('repositoryName', () => {
  it('reads profiles/repo_name', () => {
    const dir = tempDir()
    writeFile(path.join(dir, 'profiles/repo_name'), 'myrepo\n')
    expect(repositoryName(dir)).toBe('myrepo')
  })

  it('prefers repo-name in metadata/layout.conf', () => {
    const dir = tempDir()
    writeFile(path.join(dir, 'profiles/repo_name'), 'old-name\n')
    writeFile(
      path.join(dir, 'metadata/layout.conf'),
      'masters = gentoo\nrepo-name = new-name\nthin-manifests = true\n',
    )
    expect(repositoryName(dir)).toBe('new-name')
  })

  it('falls back to profiles/repo_name when layout.conf names none', () => {
    const dir = tempDir()
    writeFile(path.join(dir, 'profiles/repo_name'), 'fallback\n')
    writeFile(path.join(dir, 'metadata/layout.conf'), 'masters = gentoo\n')
    expect(repositoryName(dir)).toBe('fallback')
  })

  it.each(['bad name\n', 'a/b\n', '-lead\n', '\n', ''])('refuses the name %j', (text) => {
    const dir = tempDir()
    writeFile(path.join(dir, 'profiles/repo_name'), text)
    expect(repositoryName(dir)).toBeUndefined()
  })

  it('is undefined for a directory that is no repository', () => {
    expect(repositoryName(tempDir())).toBeUndefined()
    expect(repositoryName('/nonexistent/lxcmin')).toBeUndefined()
  })
})

describe('reposConfText', () => {
  const repos = [
    { name: 'overlay', location: '/ws/overlay' },
    { name: 'second', location: '/ws/second' },
  ]

  it('writes one section per repository', () => {
    expect(reposConfText(repos)).toBe(
      '[overlay]\nlocation = /ws/overlay\n\n[second]\nlocation = /ws/second\n',
    )
  })

  it('is read back by parseReposConf', () => {
    expect([...parseReposConf(reposConfText(repos)).locations]).toEqual([
      ['overlay', '/ws/overlay'],
      ['second', '/ws/second'],
    ])
  })

  it('is empty for no repositories', () => {
    expect(reposConfText([])).toBe('')
  })
})
