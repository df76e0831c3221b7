/**
 * The real SBOM validators that test/gentoo/setup.sh installs into .tools/sbom-venv: spdx-tools'
 * `pyspdxtools -i` (parses and validates SPDX 2.3) and cyclonedx-python-lib's JsonStrictValidator
 * (the CycloneDX 1.6 JSON schema, strict). Each returns the problems it prints; empty when valid.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'

const VENV = path.resolve(import.meta.dirname, '../../.tools/sbom-venv')
const PYTHON = path.join(VENV, 'bin/python')
const PYSPDXTOOLS = path.join(VENV, 'bin/pyspdxtools')

/** Whether setup.sh has installed the validators. */
export const haveSbomValidators = existsSync(PYTHON) && existsSync(PYSPDXTOOLS)

function run(file: string, args: string[], input?: string): string {
  try {
    execFileSync(file, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] })
    return ''
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string }
    return `${e.stdout ?? ''}${e.stderr ?? ''}`.trim() || e.message
  }
}

/** pyspdxtools' problems with an SPDX JSON file (it exits non-zero on an invalid document). */
export function validateSpdx(file: string): string {
  return run(PYSPDXTOOLS, ['-i', file])
}

const CDX_CHECK = `
import sys
from cyclonedx.validation.json import JsonStrictValidator
from cyclonedx.schema import SchemaVersion
error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(sys.stdin.read())
if error is not None:
    print(error)
    sys.exit(1)
`

/** The CycloneDX 1.6 strict JSON schema's problems with a document's text. */
export function validateCycloneDx(text: string): string {
  return run(PYTHON, ['-c', CDX_CHECK], text)
}
