/**
 * scripts/ensure-deps.sh without installing anything for real: it runs in a temporary copy of the
 * repository with STAND-INS on PATH for apt-get, npm and id (named "stand-in" in their output), a
 * stand-in Python probe (ENSURE_DEPS_PYTHON) that succeeds once the stand-in apt-get has "installed",
 * and FASHION_MNIST_DIR pointing into the temporary folder.
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const REPO = path.resolve(__dirname, "..", "..", "..");
const PKGS = fs.readFileSync(path.join(REPO, "scripts", "debian-packages.txt"), "utf8").split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
const HAND = `run by hand: sudo apt-get update && sudo apt-get install -y ${PKGS.join(" ")}`;

interface Sandbox { root: string; events: () => string[]; run: (env?: Record<string, string>) => Promise<{ code: number | null; stderr: string; stdout: string }> }

function write(file: string, text: string, mode = 0o644): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode });
}

/** A repository copy with nothing installed, and the stand-ins. */
function sandbox(opts: { uid?: number; installed?: boolean } = {}): Sandbox {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "gpu-mme-ensure-deps-"));
    const repo = path.join(root, "repo"), bin = path.join(root, "bin"), log = path.join(root, "events.log");
    for (const f of ["scripts/ensure-deps.sh", "scripts/debian-packages.txt", "package-lock.json"]) write(path.join(repo, f), fs.readFileSync(path.join(REPO, f), "utf8"));
    const installed = path.join(root, "installed");
    write(path.join(bin, "apt-get"), `#!/usr/bin/env bash
# stand-in for apt-get: logs its calls; fails like a held dpkg lock while $root/lock-held exists
echo "apt-get-start $1 $$ $(date +%s.%N)" >> "${log}"
if [ -e "${root}/lock-held" ]; then echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (unattended-upgr)" >&2; exit 100; fi
if [ -e "${root}/apt-broken" ]; then echo "E: Unable to locate package python3-torch (stand-in)" >&2; exit 100; fi
if [ "$1" = install ]; then sleep 1.5; touch "${installed}"; mkdir -p "${root}/fashion"; touch "${root}/fashion/t10k-images-idx3-ubyte.gz"; fi
echo "apt-get-end $1 $$ $(date +%s.%N)" >> "${log}"
`, 0o755);
    write(path.join(bin, "npm"), `#!/usr/bin/env bash
# stand-in for npm: "npm ci" sleeps, then creates node_modules
echo "npm-start $1 $$ $(date +%s.%N)" >> "${log}"
sleep 1.5; mkdir -p node_modules; touch node_modules/.package-lock.json
printf '%s\n' "npm warn EBADENGINE Unsupported engine {" "npm warn EBADENGINE   required: { node: '>=22' }," "npm warn EBADENGINE }" >&2
echo "added 229 packages in 2s (stand-in)"
echo "npm-end $1 $$ $(date +%s.%N)" >> "${log}"
`, 0o755);
    write(path.join(bin, "id"), `#!/usr/bin/env bash\n# stand-in for id -u\necho ${opts.uid ?? 0}\n`, 0o755);
    write(path.join(bin, "python-probe"), `#!/usr/bin/env bash\n# stand-in for /usr/bin/python3 -c 'import torch, ...': succeeds once "installed"\n[ -e "${installed}" ]\n`, 0o755);
    if (opts.installed) {
        write(installed, ""); write(path.join(root, "fashion", "t10k-images-idx3-ubyte.gz"), "");
        write(path.join(repo, "node_modules", ".package-lock.json"), "");
    }
    const run = (env: Record<string, string> = {}) => new Promise<{ code: number | null; stderr: string; stdout: string }>((resolve) => {
        const p = spawn("bash", [path.join(repo, "scripts", "ensure-deps.sh")], {
            env: { PATH: `${bin}:${process.env.PATH}`, HOME: root, ENSURE_DEPS_PYTHON: path.join(bin, "python-probe"), FASHION_MNIST_DIR: path.join(root, "fashion"), ENSURE_DEPS_RETRY_SECONDS: "1", ...env },
        });
        let stderr = "", stdout = "";
        p.stderr.on("data", (c) => (stderr += c));
        p.stdout.on("data", (c) => (stdout += c));
        p.on("close", (code) => resolve({ code, stderr, stdout }));
    });
    const events = () => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : []);
    return { root, events, run };
}

describe("scripts/ensure-deps.sh (with stand-ins for apt-get, npm and id)", function () {
    this.timeout(60000);
    const made: string[] = [];
    const make = (opts?: Parameters<typeof sandbox>[0]) => { const s = sandbox(opts); made.push(s.root); return s; };
    after(() => { for (const d of made) fs.rmSync(d, { recursive: true, force: true }); });

    it("says up front what it installs and about how long, then installs the npm and Debian packages, without npm's engine lines", async () => {
        const s = make();
        const r = await s.run();
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /installing npm packages with npm ci \(about 1 minute\)/);
        assert.match(r.stderr, /added 229 packages in 2s \(stand-in\)/);
        assert.doesNotMatch(r.stderr, /EBADENGINE/, "npm's engine lines about the Node it runs on are left out");
        assert.ok(r.stderr.includes(`installing Debian packages for`) && r.stderr.includes(PKGS.join(" ")), r.stderr);
        assert.match(r.stderr, /takes about 3 to 5 minutes/);
        assert.deepStrictEqual(s.events().map((e) => e.split(" ").slice(0, 2).join(" ")),
            ["npm-start ci", "npm-end ci", "apt-get-start update", "apt-get-end update", "apt-get-start install", "apt-get-end install"]);
    });

    it("is silent and installs nothing when everything is there", async () => {
        const s = make({ installed: true });
        const r = await s.run();
        assert.deepStrictEqual([r.code, r.stderr, r.stdout, s.events()], [0, "", "", []]);
    });

    it("lets two concurrent first runs both succeed: the second waits for the first's install and installs nothing itself", async () => {
        const s = make();
        const [a, b] = await Promise.all([s.run(), new Promise((r) => setTimeout(r, 300)).then(() => s.run())]);
        assert.strictEqual(a.code, 0, a.stderr);
        assert.strictEqual(b.code, 0, b.stderr);
        assert.match(b.stderr, /another run \(npm start \/ npm test\) is installing; waiting for it/);
        const ev = s.events();
        assert.strictEqual(ev.filter((e) => e.startsWith("npm-start ci")).length, 1, ev.join("\n"));
        assert.strictEqual(ev.filter((e) => e.startsWith("apt-get-start install")).length, 1, ev.join("\n"));
    });

    it("waits for an apt/dpkg lock held by another process, naming it, and installs once it is free", async () => {
        const s = make({ installed: true });
        fs.rmSync(path.join(s.root, "installed"));
        fs.writeFileSync(path.join(s.root, "lock-held"), "");
        setTimeout(() => fs.rmSync(path.join(s.root, "lock-held")), 2500);
        const r = await s.run({ ENSURE_DEPS_LOCK_WAIT_SECONDS: "30" });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.match(r.stderr, /the apt\/dpkg lock is held by process 4242 \(unattended-upgr\) \(another install or an automatic update\); waiting, \d+ s left/);
        assert.ok(s.events().filter((e) => e.startsWith("apt-get-start update")).length >= 2, s.events().join("\n"));
        assert.ok(s.events().some((e) => e.startsWith("apt-get-end install")));
    });

    it("gives up on a lock still held after the limit with one line naming the holder and the command to run by hand", async () => {
        const s = make({ installed: true });
        fs.rmSync(path.join(s.root, "installed"));
        fs.writeFileSync(path.join(s.root, "lock-held"), "");
        const r = await s.run({ ENSURE_DEPS_LOCK_WAIT_SECONDS: "2" });
        assert.strictEqual(r.code, 1);
        const last = r.stderr.trim().split("\n").pop()!;
        assert.ok(last.startsWith("ensure-deps: the apt/dpkg lock is still held by process 4242 (unattended-upgr) after 2 s;"), last);
        assert.ok(last.endsWith(HAND), last);
    });

    it("fails on any other apt-get error with the command to run by hand", async () => {
        const s = make({ installed: true });
        fs.rmSync(path.join(s.root, "installed"));
        fs.writeFileSync(path.join(s.root, "apt-broken"), "");
        const r = await s.run();
        assert.strictEqual(r.code, 1);
        assert.match(r.stderr, /Unable to locate package python3-torch \(stand-in\)/);
        assert.ok(r.stderr.trim().split("\n").pop()!.endsWith(HAND), r.stderr);
    });

    it("prints the exact install command instead of installing when not run as root", async () => {
        const s = make({ uid: 1000, installed: true });
        fs.rmSync(path.join(s.root, "installed"));
        const r = await s.run();
        assert.strictEqual(r.code, 1);
        assert.strictEqual(r.stderr.trim().split("\n").length, 1, r.stderr);
        assert.ok(r.stderr.trim().endsWith(`install them (about 3 to 5 minutes) with: sudo apt-get update && sudo apt-get install -y ${PKGS.join(" ")}`), r.stderr);
        assert.deepStrictEqual(s.events(), []);
    });

    it("finds torch, scikit-learn and the others with Debian's Python without importing them", async () => {
        const s = make({ installed: true });
        // a torch on PYTHONPATH that records being imported and then fails: finding it must not run it
        const shim = path.join(s.root, "pythonpath"), marker = path.join(s.root, "torch-imported");
        write(path.join(shim, "torch", "__init__.py"), `open(${JSON.stringify(marker)}, "w").close()\nraise RuntimeError("torch was imported")\n`);
        const r = await s.run({ ENSURE_DEPS_PYTHON: "/usr/bin/python3", PYTHONPATH: shim });
        assert.deepStrictEqual([r.code, r.stderr, r.stdout, s.events()], [0, "", "", []]);
        assert.strictEqual(fs.existsSync(marker), false, "ensure-deps imported torch to see whether it is installed");
    });

    it("notices a Python package that Debian's Python cannot find (scikit-learn hidden) and prints the install command", async () => {
        const s = make({ uid: 1000, installed: true });
        // sitecustomize runs first in the real Python and makes "sklearn" unfindable (importlib finds None for it)
        const shim = path.join(s.root, "pythonpath");
        write(path.join(shim, "sitecustomize.py"), "import sys\nsys.modules['sklearn'] = None\n");
        const r = await s.run({ ENSURE_DEPS_PYTHON: "/usr/bin/python3", PYTHONPATH: shim });
        assert.strictEqual(r.code, 1, r.stderr);
        assert.ok(r.stderr.trim().endsWith(`with: sudo apt-get update && sudo apt-get install -y ${PKGS.join(" ")}`), r.stderr);
        assert.deepStrictEqual(s.events(), []);
    });

    it("answers --help with the usage and examples", async () => {
        const s = make();
        const help = await new Promise<{ code: number | null; out: string }>((resolve) => {
            const p = spawn("bash", [path.join(s.root, "repo", "scripts", "ensure-deps.sh"), "--help"]);
            let out = ""; p.stdout.on("data", (c) => (out += c)); p.on("close", (code) => resolve({ code, out }));
        });
        assert.strictEqual(help.code, 0);
        assert.match(help.out, /^Usage: bash scripts\/ensure-deps.sh/);
        assert.match(help.out, /\nExamples:\n/);
    });
});
