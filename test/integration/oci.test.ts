/**
 * format oci end to end, through the bundled action on real Portage, with the real tools a user
 * meets: the service image (the test tree's daemon, its user, a config from `files`) as an OCI
 * image, read by Debian's umoci and skopeo, imported by `lxc-create -t oci` and run with
 * lxc-execute; pushed to a real registry (Debian's docker-registry on loopback, basic auth,
 * credentials from a Docker config as docker/login-action leaves it) to two tags and a second
 * repository, and pulled back with skopeo to the same digest; its SPDX and CycloneDX SBOMs read by
 * the real validators. Then the same inputs again: the same digest, and pushes that fail (a wrong
 * password, an unreachable registry, a registry failing every upload) are errors after the
 * outputs that name each reference, with the image left in place.
 *
 * Needs `bash test/gentoo/setup.sh`, `source test/gentoo/env.sh`, root and the bundle.
 */
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  blobPut,
  type FaultProxy,
  pullDigest,
  registryToolsMissing,
  startFaultProxy,
  startRegistry,
  type TestRegistry,
} from '../support/registry.ts'
import { haveSbomValidators, validateCycloneDx, validateSpdx } from '../support/sbom-validators.ts'
import { skipUnless } from '../support/prerequisites.ts'
import { freePort } from '../services/azurite.ts'
import { build, CLEAN, errors, leftovers, WORKSPACE } from './support.ts'

const DAEMON = '/usr/sbin/lxcmin-daemon'
const QUERY = '/usr/bin/lxcmin-daemon-query'
const UID = 450
const EPOCH = 1_700_000_000
const skip = skipUnless(
  !registryToolsMissing() && haveSbomValidators,
  registryToolsMissing() ?? '.tools/sbom-venv is missing: run bash test/gentoo/setup.sh',
)

let work = ''
let files = ''
let registry: TestRegistry | undefined
let proxy: FaultProxy | undefined
beforeAll(async () => {
  if (skip) return
  mkdirSync(path.join(WORKSPACE, '.tools', 'test-work'), { recursive: true })
  work = mkdtempSync(path.join(WORKSPACE, '.tools', 'test-work', 'oci-'))
  files = path.join(work, 'files')
  mkdirSync(path.join(files, 'etc'), { recursive: true })
  mkdirSync(path.join(files, 'run/lxcmin-daemon'), { recursive: true })
  writeFileSync(
    path.join(files, 'etc/lxcmin-daemon.conf'),
    [
      'greeting = Hello from the OCI image',
      'socket = /run/lxcmin-daemon/daemon.sock',
      'state = /var/lib/lxcmin-daemon/count',
      'user = lxcmin-daemon',
      '',
    ].join('\n'),
  )
  registry = await startRegistry({ username: 'pusher', password: 'S3cret-registry-pass' })
  proxy = await startFaultProxy(registry.host)
})
afterAll(async () => {
  await proxy?.close()
  await registry?.stop()
  if (work) rmSync(work, { recursive: true, force: true })
})

/** The README's service image as an OCI image, with every time the fixed epoch. */
function image(inputs: Record<string, string>, extra: Parameters<typeof build>[1] = {}) {
  return build(
    {
      packages: 'net-misc/lxcmin-daemon app-shells/bash',
      minimize: 'closure',
      'keep-files': QUERY,
      files: path.relative(WORKSPACE, files),
      'files-owners':
        '/run/lxcmin-daemon lxcmin-daemon\n/etc/lxcmin-daemon.conf root:lxcmin-daemon',
      'files-replace': 'true',
      entrypoint: DAEMON,
      user: 'lxcmin-daemon',
      workdir: '/var/lib/lxcmin-daemon',
      env: 'LANG=C.UTF-8',
      'smoke-test-user': 'user',
      'smoke-test': `/bin/sh -c '${DAEMON} & exec ${QUERY}'`,
      format: 'oci',
      'exposed-ports': '8080 53/udp',
      labels: 'org.example.team=lxcmin',
      'source-date-epoch': String(EPOCH),
      'keep-sandbox': 'true',
      ...inputs,
    },
    extra,
  )
}

/** The log as the runner shows it: its mask commands are read by the runner, not shown. */
const shown = (result: { main: { output: string } }): string =>
  result.main.output
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::'))
    .join('\n')

/** A Docker config as `docker login` writes it: one base64 user:password per registry. */
function dockerConfig(auths: Record<string, string>): string {
  const dir = mkdtempSync(path.join(work, 'docker-'))
  const entries = Object.fromEntries(
    Object.entries(auths).map(([host, pass]) => [
      host,
      { auth: Buffer.from(`${registry?.username ?? ''}:${pass}`).toString('base64') },
    ]),
  )
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: entries }))
  return dir
}

const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')
const skopeo = (...args: string[]): string => execFileSync('skopeo', args, { encoding: 'utf8' })

interface Spdx {
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[]
  packages: {
    SPDXID: string
    name: string
    externalRefs?: { referenceLocator: string }[]
    versionInfo?: string
    licenseDeclared?: string
  }[]
  files: { fileName: string; checksums: { algorithm: string; checksumValue: string }[] }[]
}

let firstDigest = ''

describe.skipIf(skip)('format oci', () => {
  it('is an OCI image umoci, skopeo and lxc-create -t oci read, pushed and pulled back to the same digest', async () => {
    const host = registry?.host ?? ''
    const config = dockerConfig({ [host]: registry?.password ?? '' })
    const result = await image(
      {
        sbom: 'both',
        push: [
          `${host}/lxcmin/daemon:1.0`,
          `${host}/lxcmin/daemon:latest`,
          `${host}/mirror/daemon:1.0`,
        ].join('\n'),
      },
      { env: { DOCKER_CONFIG: config } },
    )
    const lxcpath = path.join(work, 'lxc')
    try {
      expect(result.main.exitCode, result.main.output).toBe(0)
      expect(errors(result)).toEqual([])
      const { digest = '', tarball = '' } = result.outputs
      const layout = result.outputs['oci-layout'] ?? ''
      expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(path.basename(tarball)).toBe('lxcmin-daemon.oci.tar')
      expect(result.outputs['tarball-sha256']).toBe(sha256(readFileSync(tarball)))
      firstDigest = digest

      // skopeo reads the archive: its manifest is the digest, its config the entry point inputs.
      const raw = skopeo('inspect', '--raw', `oci-archive:${tarball}:latest`)
      expect(`sha256:${sha256(raw)}`).toBe(digest)
      const manifest = JSON.parse(raw) as {
        layers: { mediaType: string }[]
        annotations: Record<string, string>
      }
      expect(manifest.layers.map((l) => l.mediaType)).toEqual([
        'application/vnd.oci.image.layer.v1.tar+gzip',
      ])
      expect(manifest.annotations).toMatchObject({
        'org.opencontainers.image.created': '2023-11-14T22:13:20Z',
        'org.opencontainers.image.title': 'lxcmin-daemon',
      })
      expect(manifest.annotations['org.opencontainers.image.licenses']).toMatch(/GPL-3\.0-or-later/)
      const imageConfig = JSON.parse(skopeo('inspect', '--config', `oci:${layout}:latest`)) as {
        created: string
        architecture: string
        config: Record<string, unknown>
      }
      expect(imageConfig.created).toBe('2023-11-14T22:13:20Z')
      expect(imageConfig.config).toMatchObject({
        Entrypoint: [DAEMON],
        User: `${UID}:${UID}`,
        WorkingDir: '/var/lib/lxcmin-daemon',
        ExposedPorts: { '53/udp': {}, '8080/tcp': {} },
        Labels: { 'org.example.team': 'lxcmin' },
      })
      expect(imageConfig.config.Env).toEqual(
        expect.arrayContaining(['LANG=C.UTF-8', expect.stringMatching(/^PATH=/)]),
      )

      // umoci unpacks the layout to the rootfs as built: owners and modes from files-owners.
      const bundle = path.join(work, 'bundle')
      execFileSync('umoci', ['unpack', '--image', `${layout}:latest`, bundle])
      const conf = lstatSync(path.join(bundle, 'rootfs/etc/lxcmin-daemon.conf'))
      expect([conf.uid, conf.gid]).toEqual([0, UID])
      expect(readFileSync(path.join(bundle, 'rootfs/etc/lxcmin-daemon.conf'), 'utf8')).toContain(
        'Hello from the OCI image',
      )
      const runtime = JSON.parse(readFileSync(path.join(bundle, 'config.json'), 'utf8')) as {
        process: { user: { uid: number }; args: string[] }
      }
      expect(runtime.process.user.uid).toBe(UID)
      expect(runtime.process.args).toEqual([DAEMON])

      // lxc-create -t oci imports it; the container runs as the image's user and the daemon answers.
      mkdirSync(lxcpath, { recursive: true })
      execFileSync(
        'lxc-create',
        ['-P', lxcpath, '-n', 'oci', '-t', 'oci', '--', '-u', `oci:${layout}:latest`],
        { stdio: 'pipe' },
      )
      const answer = execFileSync(
        'lxc-execute',
        [
          '-P',
          lxcpath,
          '-n',
          'oci',
          '-s',
          'lxc.net.0.type=empty',
          '-s',
          'lxc.apparmor.profile=unconfined',
          '--',
          '/bin/sh',
          '-c',
          `${DAEMON} & exec ${QUERY}`,
        ],
        { encoding: 'utf8', timeout: 60_000 },
      )
      expect(answer).toMatch(new RegExp(`Hello from the OCI image.*uid ${UID}`))

      // Pushed: three references, one digest, the same when pulled back.
      expect(result.outputs['pushed-digest']).toBe(digest)
      expect((result.outputs.pushed ?? '').split('\n')).toEqual([
        `${host}/lxcmin/daemon:1.0@${digest}`,
        `${host}/lxcmin/daemon:latest@${digest}`,
        `${host}/mirror/daemon:1.0@${digest}`,
      ])
      if (!registry) throw new Error('no registry')
      for (const ref of ['lxcmin/daemon:1.0', 'lxcmin/daemon:latest', 'mirror/daemon:1.0'])
        expect(pullDigest(registry, ref, path.join(work, 'pull'))).toBe(digest)
      expect(result.main.output).toMatch(/mounted from lxcmin\/daemon/)
      expect(shown(result)).not.toContain(registry.password)
      expect(result.summary).toContain(`manifest \`${digest}\``)

      // The SBOMs: valid for the real validators, about this image, with the files input's file.
      const spdxFile = result.outputs['sbom-spdx'] ?? ''
      const cdxFile = result.outputs['sbom-cyclonedx'] ?? ''
      expect(validateSpdx(spdxFile)).toBe('')
      expect(validateCycloneDx(readFileSync(cdxFile, 'utf8'))).toBe('')
      const spdx = JSON.parse(readFileSync(spdxFile, 'utf8')) as Spdx
      const locators = spdx.packages.flatMap(
        (p) => p.externalRefs?.map((r) => r.referenceLocator) ?? [],
      )
      expect(locators).toEqual(
        expect.arrayContaining([
          expect.stringMatching(
            /^pkg:ebuild\/net-misc\/lxcmin-daemon@[^?]+\?repository=lxcmin-gentoo$/,
          ),
          expect.stringMatching(/^pkg:ebuild\/acct-user\/lxcmin-daemon@/),
          `pkg:oci/lxcmin-daemon@${digest.replace(':', '%3A')}`,
        ]),
      )
      const rootfs = result.outputs.rootfs ?? ''
      const confEntry = spdx.files.find(
        (f) =>
          f.fileName === './etc/lxcmin-daemon.conf' || f.fileName === '/etc/lxcmin-daemon.conf',
      )
      expect(confEntry?.checksums).toContainEqual({
        algorithm: 'SHA256',
        checksumValue: sha256(readFileSync(path.join(rootfs, 'etc/lxcmin-daemon.conf'))),
      })
      expect(result.summary).toContain('lxcmin-daemon.spdx.json')
      // Gentoo's facts about each package: licences mapped (glibc's inner-net is not in the test
      // repository's license-mapping.conf), dependencies from RDEPEND, and only the files left.
      const pkg = (name: string) => spdx.packages.find((p) => p.name === name)
      const bash = pkg('app-shells/bash')
      expect(bash?.externalRefs?.[0]?.referenceLocator).toMatch(
        /^pkg:ebuild\/app-shells\/bash@5\.2_p15\?repository=lxcmin-gentoo$/,
      )
      expect(bash?.licenseDeclared).toBe('GPL-3.0-or-later')
      expect(pkg('sys-libs/glibc')?.licenseDeclared).toContain('LicenseRef-Gentoo-inner-net')
      expect(spdx.relationships).toContainEqual({
        spdxElementId: pkg('net-misc/lxcmin-daemon')?.SPDXID,
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: pkg('acct-user/lxcmin-daemon')?.SPDXID,
      })
      expect(spdx.relationships).toContainEqual({
        spdxElementId: bash?.SPDXID,
        relationshipType: 'DEPENDS_ON',
        relatedSpdxElement: pkg('sys-libs/readline')?.SPDXID,
      })
      // closure removed most of the packages' files: each file listed is still in the image.
      expect(spdx.files.length).toBeGreaterThan(10)
      for (const f of spdx.files)
        expect(lstatSync(path.join(rootfs, f.fileName)).isFile()).toBe(true)
      expect(result.summary).toMatch(/closure removed/)
      // What actions/attest takes: subject-digest, subject-path, sbom-path (at most 16 MB).
      expect(statSync(spdxFile).size).toBeLessThan(16 * 1024 * 1024)
    } finally {
      if (existsSync(path.join(lxcpath, 'oci')))
        execFileSync('lxc-destroy', ['-P', lxcpath, '-n', 'oci'], { stdio: 'ignore' })
      rmSync(result.outputs.sandbox ?? '', { recursive: true, force: true })
    }
    expect(leftovers(result)).toEqual(CLEAN)
  })

  it('gives the same digest for the same inputs; failed pushes name each reference and leave the image', async () => {
    const host = registry?.host ?? ''
    const proxyHost = proxy?.host ?? ''
    proxy?.fault({ kind: 'status', status: 503, match: blobPut, times: Infinity })
    const closed = `127.0.0.1:${await freePort()}` // nothing listens there
    const config = dockerConfig({
      [host]: 'not-the-password',
      [proxyHost]: registry?.password ?? '',
    })
    const result = await image(
      {
        push: [
          `${host}/denied/daemon:1`,
          `${closed}/gone/daemon:1`,
          `${proxyHost}/down/daemon:1`,
        ].join(' '),
      },
      { env: { DOCKER_CONFIG: config } },
    )
    proxy?.fault(undefined)
    try {
      expect(result.main.exitCode).toBe(1)
      expect(result.outputs.digest).toBe(firstDigest)
      const [error = '', ...more] = errors(result)
      expect(more).toEqual([])
      expect(error).toMatch(/^Pushing the image failed: /)
      expect(error).toContain(`the registry refused the credentials for ${host}/denied/daemon:1`)
      const at = closed.replaceAll('.', '\\.')
      expect(error).toMatch(
        new RegExp(`push of ${at}/gone/daemon:1 .*cannot reach http://${at}/.*ECONNREFUSED`),
      )
      expect(error).toMatch(
        new RegExp(
          `push of ${proxyHost.replaceAll('.', '\\.')}/down/daemon:1 .*blob upload: HTTP 503`,
        ),
      )
      expect(error).toContain(`${proxyHost}/down/daemon:1`)
      expect(error).toContain('HTTP 503')
      expect(error).toContain('(output oci-layout)')
      expect(result.outputs.pushed ?? '').toBe('')
      // The image stays, whole: the layout and the archive.
      expect(existsSync(path.join(result.outputs['oci-layout'] ?? '', 'index.json'))).toBe(true)
      expect(sha256(readFileSync(result.outputs.tarball ?? ''))).toBe(
        result.outputs['tarball-sha256'],
      )
      expect(shown(result)).not.toContain(registry?.password ?? 'never')
      expect(shown(result)).not.toContain('not-the-password')
    } finally {
      rmSync(result.outputs.sandbox ?? '', { recursive: true, force: true })
    }
    expect(leftovers(result)).toEqual(CLEAN)
  })
})
