/** scripts/bench/serveBench/standinPath.ts: the bench's stand-in path, the SDK -> a runtime API process -> standin.py. */
import * as assert from "assert";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { StandInPath } from "../../../scripts/bench/serveBench/standinPath";

describe("the bench's stand-in request path", function () {
    this.timeout(60000);
    let path: StandInPath;
    let client: SageMakerRuntimeClient;
    const invoke = async (body: string) => Buffer.from((await client.send(new InvokeEndpointCommand({
        EndpointName: "local", ContentType: "application/json", Body: Buffer.from(body) }))).Body!).toString();

    before(async () => {
        path = await StandInPath.start("/usr/bin/python3", process.env);
        client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: path.url, maxAttempts: 1,
            credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } });
    });
    after(() => { client?.destroy(); path?.close(); });

    it("answers a signed invocation with the answer set for its length, after the stand-in's busy time", async () => {
        await path.set(7, 25, '{"predictions": [1]}');
        const started = performance.now();
        assert.strictEqual(await invoke('{"a":1}'), '{"predictions": [1]}');
        assert.ok(performance.now() - started >= 25, "answered before the stand-in's busy time");
    });

    it("passes a body of a length nothing was set for to the SDK as the runtime API's ModelError", async () => {
        await assert.rejects(invoke('{"ab":12}'), (err: Error) => err.name === "ModelError" && /no answer set for a body of 9 bytes/.test(err.message));
    });
});
