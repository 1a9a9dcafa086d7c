/** The smoke test's check of an endpoint of the components topology: an unknown component. */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";

/** A component the endpoint does not host must fail as ValidationError, once (AWS's answer; not a ModelError). */
export async function checkUnknownComponent(client: SageMakerRuntimeClient, endpointName: string, failures: string[],
    describe: (err: unknown) => string): Promise<string> {
    try {
        await client.send(new InvokeEndpointCommand({ EndpointName: endpointName, InferenceComponentName: "no-such-component",
            ContentType: "application/json", Body: Buffer.from(JSON.stringify({ inputs: ["x"] })) }));
        failures.push(`unknown inference component "no-such-component" was answered with success; it must be a ValidationError`);
        return "answered 2xx";
    } catch (err) {
        const e = err as { name?: string; $metadata?: { attempts?: number } };
        if (e.name !== "ValidationError") failures.push(`unknown inference component: expected ValidationError, got ${describe(err)}`);
        else if ((e.$metadata?.attempts ?? 1) !== 1) failures.push(`unknown inference component: the ValidationError was retried (${e.$metadata?.attempts} attempts)`);
        return describe(err);
    }
}
