/**
 * Tests whose prerequisite may be missing (root, a host tool, the Portage venv, the optional real
 * Gentoo files) never skip silently: `skipUnless(ok, why)` skips with the reason in the log, and
 * under the test command (scripts/test.sh sets LXCMIN_TEST_STRICT=1, on a machine that has
 * everything) a missing prerequisite fails the file instead of skipping it.
 */
export function skipUnless(ok: boolean, why: string): boolean {
  if (ok) return false
  if (process.env.LXCMIN_TEST_STRICT === '1') {
    throw new Error(`cannot run: ${why} (LXCMIN_TEST_STRICT=1: the test command runs every test)`)
  }
  console.warn(`skipped: ${why}`)
  return true
}
