/**
 * The lifecycle corpus (tests/fixtures/lifecycleCases.ts): `npm start`'s options, bind warnings, its stale
 * temp folders, and drills on `npm start` as a process: SIGTERM/SIGINT while a handler holds the GIL
 * (exit 0, the in-flight request answered, no process left, temp folder removed), SIGKILL (the next start
 * removes what it left), and an inherited LOCAL_SERVE_HOST (the model server stays on loopback).
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { resolveStartOptions } from "../../../local/start";
import { createWorkDir, OWNER_FILE, processStartTicks, recordModelServer, removeStaleWorkDirs, WORK_DIR_PREFIX } from "../../../local/workDirs";
import { BAD_START_OPTIONS, BIND_WARNINGS, makeGilModelDir } from "../../fixtures/lifecycleCases";
import { client, cmdline, running, settle, startCli, waitFor, within } from "../../fixtures/faultHarness";
import { descendants } from "../../fixtures/faultModel";

describe("npm start's options: every misuse refused before anything starts", () => {
    for (const row of BAD_START_OPTIONS) {
        it(`refuses ${row.what}`, () => {
            const r = resolveStartOptions(row.argv ?? [], row.env ?? {});
            assert.strictEqual(r.errors.length, 1, r.errors.join("\n"));
            assert.match(r.errors[0], row.error);
            assert.ok(!r.errors[0].includes("\n"), "one line");
        });
    }
    for (const row of BIND_WARNINGS) {
        it(`${row.warns ? "warns" : "does not warn"} when the API binds to ${row.what} (${row.host})`, () => {
            const r = resolveStartOptions([], { LOCAL_BIND_HOST: row.host });
            assert.deepStrictEqual(r.errors, []);
            if (row.warns) {
                assert.strictEqual(r.warnings.length, 1);
                assert.match(r.warnings[0], /reachable from other machines.*published test credentials/);
            } else assert.deepStrictEqual(r.warnings, []);
        });
    }
});

describe("stale temp folders of the local endpoint", () => {
    let tmp: string;
    beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), "gmme-stale-")); });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    it("removes a folder whose owner is gone, and keeps one whose owner runs", () => {
        const mine = createWorkDir(tmp);
        const dead = createWorkDir(tmp);
        // a pid that cannot run: beyond the kernel's pid_max
        fs.writeFileSync(path.join(dead, OWNER_FILE), JSON.stringify({ pid: 4194305 + 7, startTicks: 1 }));
        assert.deepStrictEqual(removeStaleWorkDirs(tmp), [dead]);
        assert.ok(fs.existsSync(mine) && !fs.existsSync(dead));
    });

    it("treats a reused pid (same pid, another start time) as gone", () => {
        const reused = createWorkDir(tmp);
        fs.writeFileSync(path.join(reused, OWNER_FILE), JSON.stringify({ pid: process.pid, startTicks: (processStartTicks(process.pid) ?? 0) + 1 }));
        assert.deepStrictEqual(removeStaleWorkDirs(tmp), [reused]);
    });

    it("never touches a folder without owner.json (being created, or made by another version)", () => {
        const unowned = fs.mkdtempSync(path.join(tmp, WORK_DIR_PREFIX));
        const then = new Date(Date.now() - 24 * 3600 * 1000);
        fs.utimesSync(unowned, then, then);
        assert.deepStrictEqual(removeStaleWorkDirs(tmp), []);
        assert.ok(fs.existsSync(unowned));
    });

    it("kills the model server a dead owner left running (a serve.py process group) before removing its folder", async () => {
        const dead = createWorkDir(tmp);
        const fake = spawn("/usr/bin/python3", ["-c", "import time; time.sleep(60)", path.join(tmp, "serve.py")], { detached: true, stdio: "ignore" });
        fs.writeFileSync(path.join(dead, OWNER_FILE), JSON.stringify({ pid: 4194305 + 7, startTicks: 1, modelServerPgid: fake.pid }));
        const gone = new Promise((r) => fake.on("exit", r));
        assert.deepStrictEqual(removeStaleWorkDirs(tmp), [dead]);
        await within(gone, 3000, "the stale model server's exit");
    });

    it("records the model server's process group with the owner", () => {
        const dir = createWorkDir(tmp);
        recordModelServer(dir, 4242);
        assert.strictEqual(JSON.parse(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8")).modelServerPgid, 4242);
    });
});

describe("npm start as a process: signals while a handler holds the GIL", function () {
    this.timeout(90000);
    let dir: string;
    let pids: number[] = [];
    before(() => { dir = makeGilModelDir(); });
    after(() => {
        for (const p of pids) if (running(p)) { try { process.kill(p, "SIGKILL"); } catch { /* gone */ } }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    const workDirOf = (stderr: string) => /extracted to (\S+)\/ml\/model/.exec(stderr)?.[1];

    for (const signal of ["SIGTERM", "SIGINT"] as const) {
        it(`on ${signal} answers the in-flight request, exits 0 within the bounded grace, leaves no process and removes its temp folder`, async () => {
            const cli = await startCli(dir);
            const tree = descendants(cli.proc.pid!);
            pids.push(...tree);
            const work = workDirOf(cli.stderr());
            assert.ok(work && fs.existsSync(work), `no temp folder in:\n${cli.stderr()}`);
            const c = client(cli.endpoint);
            const inflight = settle(c, { gil: 40 });
            assert.ok(await waitFor(() => cli.stderr().includes("gil-handler holding the GIL"), 15000), "the handler never ran");
            const sent = Date.now();
            cli.proc.kill(signal);
            const code = await within(cli.exit, 20000, "npm start's exit");
            const r = await within(inflight, 5000, "the in-flight request");
            c.destroy();
            assert.strictEqual(code, 0, cli.stderr().split("\n").slice(-15).join("\n"));
            assert.ok(Date.now() - sent < 15000, `took ${Date.now() - sent} ms`);
            assert.ok(!r.ok && r.status === 503, `the in-flight request must get a 503, got ${JSON.stringify(r)}`);
            assert.ok(await waitFor(() => tree.every((p) => !running(p)), 3000), `left running: ${tree.filter(running).map((p) => `${p} ${cmdline(p)}`).join("; ")}`);
            assert.ok(!fs.existsSync(work), `${work} was not removed`);
        });
    }

    it("after SIGKILL of npm start (no cleanup possible in it), its temp folder is gone once the next start is ready", async () => {
        const cli = await startCli(dir);
        const tree = descendants(cli.proc.pid!);
        pids.push(...tree);
        const work = workDirOf(cli.stderr())!;
        const c = client(cli.endpoint);
        const inflight = settle(c, { gil: 40 });
        assert.ok(await waitFor(() => cli.stderr().includes("gil-handler holding the GIL"), 15000), "the handler never ran");
        cli.proc.kill("SIGKILL");
        await cli.exit;
        await inflight;
        c.destroy();
        assert.ok(await waitFor(() => tree.every((p) => !running(p)), 5000), `orphaned: ${tree.filter(running).map((p) => `${p} ${cmdline(p)}`).join("; ")}`);
        // Two mechanisms remove it: the orphaned model server removes its parent's folder as it exits, and a start
        // removes the folders of owners that are gone (the stale-folder specs above test that one on its own).
        const leftBehind = fs.existsSync(work);
        const next = await startCli(dir);
        pids.push(...descendants(next.proc.pid!));
        assert.ok(!fs.existsSync(work), `${work} left behind`);
        if (leftBehind) assert.match(next.stderr(), /removed \d+ stale temp folder\(s\) of local endpoints that are gone: .*gpu-mme-local-/);
        next.proc.kill("SIGTERM");
        assert.strictEqual(await within(next.exit, 20000, "npm start's exit"), 0);
    });

    it("keeps the model server on loopback when LOCAL_SERVE_HOST=0.0.0.0 is inherited", async () => {
        const cli = await startCli(dir, { LOCAL_SERVE_HOST: "0.0.0.0" });
        pids.push(...descendants(cli.proc.pid!));
        try {
            const m = /listening on http:\/\/([^:]+):(\d+)/.exec(cli.stderr());
            assert.ok(m, cli.stderr());
            assert.strictEqual(m[1], "127.0.0.1");
            const hex = Number(m[2]).toString(16).toUpperCase().padStart(4, "0");
            const listeners = fs.readFileSync("/proc/net/tcp", "utf8").split("\n").filter((l) => / 0A /.test(l) && l.includes(`:${hex} `));
            assert.ok(listeners.length > 0 && listeners.every((l) => l.trim().split(/\s+/)[1].startsWith("0100007F:")), listeners.join("\n"));
        } finally {
            cli.proc.kill("SIGTERM");
            await within(cli.exit, 20000, "npm start's exit");
        }
    });
});
