import { createRequire as __lxcminCreateRequire } from 'node:module'; const require = __lxcminCreateRequire(import.meta.url);
import {
  createRunner,
  findCommands,
  isWithin,
  loadCacheState,
  loadRunState,
  lxcInfoArgs,
  lxcStopArgs,
  saveEntries,
  storeFor
} from "./chunk-UAIM7PQM.js";
import {
  info,
  warning
} from "./chunk-RDWFKAFQ.js";
import "./chunk-ZVWW4N2Q.js";
import "./chunk-PKPEHFMJ.js";

// src/action/post.ts
import { readdirSync as readdirSync2, readFileSync as readFileSync2 } from "node:fs";
import path from "node:path";

// src/host/strays.ts
import { readdirSync, readFileSync } from "node:fs";
var GRACE_MS = 5e3;
var POLL_MS = 100;
var ROUNDS = 3;
async function processesWith(runner, grep, records, self = process.pid) {
  const pids = readdirSync("/proc").filter((p) => /^\d+$/.test(p) && Number(p) !== self);
  if (!pids.length) return [];
  const result = await runner.run(
    {
      file: grep,
      args: [
        "-lsxzF",
        ...records.flatMap((r) => ["-e", r]),
        "--",
        ...pids.map((p) => `/proc/${p}/environ`)
      ],
      privileged: true
    },
    { allowFailure: true }
  );
  return result.stdout.split("\n").map((line) => /^\/proc\/(\d+)\/environ$/.exec(line)?.[1]).filter((pid) => pid !== void 0).map(Number);
}
function running(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
async function gone(pids, ms) {
  const deadline = Date.now() + ms;
  let left = pids.filter(running);
  while (left.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    left = left.filter(running);
  }
  return left;
}
async function stopStrays(runner, tools, sandbox, graceMs = GRACE_MS) {
  const records = [
    `PORTAGE_CONFIGROOT=${sandbox.configRoot}`,
    `ROOT=${sandbox.rootfs}`,
    `ROOT=${sandbox.rootfs}/`
  ];
  const signal = async (name, targets) => {
    await runner.run(
      { file: tools.kill, args: [`-${name}`, "--", ...targets.map(String)], privileged: true },
      { allowFailure: true }
    );
  };
  const found = [];
  const seen = /* @__PURE__ */ new Set();
  for (let round = 0; round < ROUNDS; round++) {
    const pids = (await processesWith(runner, tools.grep, records)).filter(running).filter((pid) => !seen.has(pid));
    if (!pids.length) break;
    for (const pid of pids) {
      seen.add(pid);
      found.push(`${pid} ${commandOf(pid)}`);
    }
    await signal("TERM", pids);
    const stubborn = await gone(pids, graceMs);
    if (stubborn.length) {
      await signal("KILL", stubborn);
      await gone(stubborn, graceMs);
    }
  }
  return found;
}
function commandOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim().slice(0, 200);
  } catch {
    return "[gone]";
  }
}

// src/action/post.ts
async function run() {
  const state = loadRunState();
  if (!state) {
    info("Nothing to clean up: the main step stopped before it made a sandbox.");
    return;
  }
  const runner = createRunner(state.privilege);
  await attempt("stop the container", () => stopContainer(runner, state));
  await attempt("stop the processes left in the sandbox", () => stopLeftovers(runner, state));
  await attempt("remove LXC's locks", () => removeLxcLocks(runner, state));
  await attempt("remove the container's cgroups", () => removeCgroups(runner, state));
  await attempt("unmount the sandbox", () => unmountBelow(runner, state));
  await attempt("save the caches", () => saveCaches(runner, state));
  if (state.keepSandbox) {
    info(`keep-sandbox: the sandbox stays at ${state.sandbox.dir}`);
    return;
  }
  await attempt("remove the sandbox", async () => {
    await runner.run({
      file: state.tools.rm,
      args: ["-rf", "--one-file-system", "--", state.sandbox.dir],
      privileged: true
    });
    info(`removed ${state.sandbox.dir}`);
  });
}
async function attempt(what, fn) {
  try {
    await fn();
  } catch (error) {
    warning(
      `lxcmin post step could not ${what}: ${error instanceof Error ? error.message : String(error)}`
    );
  }
}
async function stopLeftovers(runner, state) {
  const tools = findCommands(
    [
      ["grep", "grep"],
      ["kill", "kill"]
    ],
    process.env.PATH ?? "",
    "Finding what a cancelled build left running needs these commands, not found on PATH"
  );
  const stopped = await stopStrays(runner, tools, state.sandbox);
  if (stopped.length)
    info(`stopped what the build left running in the sandbox:
${stopped.join("\n")}`);
}
async function stopContainer(runner, state) {
  const ref = { lxcpath: state.sandbox.lxcpath, name: state.sandbox.containerName };
  const info2 = await runner.run(
    { file: state.tools.lxcInfo, args: lxcInfoArgs(ref), privileged: true },
    { allowFailure: true }
  );
  if (info2.exitCode !== 0 || !/RUNNING|STARTING|STOPPING|FREEZING|FROZEN/.test(info2.stdout)) {
    info(`container ${state.sandbox.containerName} is not running`);
    return;
  }
  await runner.run({ file: state.tools.lxcStop, args: lxcStopArgs(ref), privileged: true });
  info(`stopped container ${state.sandbox.containerName}, which was still running`);
}
var LXC_LOCK_DIR = "/run/lxc/lock";
async function removeLxcLocks(runner, state) {
  const dir = path.join(LXC_LOCK_DIR, state.sandbox.dir);
  if (!dir.startsWith(`${LXC_LOCK_DIR}/`) || path.resolve(dir) !== dir) return;
  await runner.run({
    file: state.tools.rm,
    args: ["-rf", "--one-file-system", "--", dir],
    privileged: true
  });
}
var CGROUP_ROOT = "/sys/fs/cgroup";
async function removeCgroups(runner, state) {
  const name = state.sandbox.containerName;
  const ours = /* @__PURE__ */ new Set([`lxc.payload.${name}`, `lxc.monitor.${name}`]);
  const dirs = (dir) => readdirSync2(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name));
  const found = [];
  const look = (dir, depth) => {
    for (const sub of dirs(dir)) {
      if (ours.has(path.basename(sub))) found.push(sub);
      else if (depth < 4) look(sub, depth + 1);
    }
  };
  look(CGROUP_ROOT, 0);
  if (!found.length) return;
  const below = (dir) => [dir, ...dirs(dir).flatMap(below)];
  const all = found.flatMap(below).sort((a, b) => b.length - a.length);
  await runner.run({ file: state.tools.rmdir, args: ["--", ...all], privileged: true });
  info(`removed ${found.length} cgroups left by container ${name}`);
}
function mountsBelow(mountinfo, dir) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return mountinfo.split("\n").map((line) => line.split(" ")[4]).filter((p) => Boolean(p)).map(unescape).filter((p) => isWithin(p, dir)).sort((a, b) => b.length - a.length);
}
async function unmountBelow(runner, state) {
  for (const mount of mountsBelow(
    readFileSync2("/proc/self/mountinfo", "utf8"),
    state.sandbox.dir
  )) {
    await runner.run({ file: state.tools.umount, args: ["--lazy", "--", mount], privileged: true });
    info(`unmounted ${mount}`);
  }
}
async function saveCaches(runner, state) {
  const cache = loadCacheState();
  const store = cache && await storeFor(cache.settings);
  if (!cache || !store) return;
  await saveEntries(store, cache.entries, {
    event: cache.event,
    saveCache: cache.settings.saveCache,
    buildSucceeded: cache.merged,
    finished: cache.finished === true
  });
  if (!state.keepSandbox) {
    await runner.run({
      file: state.tools.rm,
      args: ["-rf", "--one-file-system", "--", cache.root],
      privileged: true
    });
  }
}

// src/action/entry/post.ts
await run();
process.exit(process.exitCode ?? 0);
//# sourceMappingURL=post.js.map
