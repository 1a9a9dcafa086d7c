/**
 * `npm run package` as package.json declares it: the glibc allocator settings it starts Node with are the model
 * server's (sagemaker/containerEnv.ts ALLOCATOR_ENV), written in the script because glibc reads them at start.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALLOCATOR_ENV } from "../../../sagemaker/containerEnv";
import { ROOT } from "../../support/endpointFixture";

const scripts = (): Record<string, string> => JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts;

/** The leading NAME=value assignments of a shell command, and the rest. */
function leadingEnv(command: string): { env: Record<string, string>; rest: string } {
    const env: Record<string, string> = {};
    let rest = command;
    for (let m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s+/.exec(rest); m; m = /^([A-Za-z_][A-Za-z0-9_]*)=(\S*)\s+/.exec(rest)) {
        env[m[1]] = m[2];
        rest = rest.slice(m[0].length);
    }
    return { env, rest };
}

describe("npm run package: started with the model server's allocator settings", () => {
    it("sets exactly ALLOCATOR_ENV before node, so a changed value in containerEnv.ts fails here until package.json follows", () => {
        const { env, rest } = leadingEnv(scripts().package);
        assert.deepStrictEqual(env, { ...ALLOCATOR_ENV });
        assert.match(rest, /^node -r \.\/scripts\/launch\/register\.js scripts\/package\.ts$/);
    });

    it("reads the leading assignments of a command and nothing after the program name", () => {
        assert.deepStrictEqual(leadingEnv("A=1 B_2=x node run C=3"), { env: { A: "1", B_2: "x" }, rest: "node run C=3" });
        assert.deepStrictEqual(leadingEnv("node x"), { env: {}, rest: "node x" });
    });
});
