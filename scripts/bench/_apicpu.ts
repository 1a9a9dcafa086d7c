import * as fs from "fs";
import { InvokeEndpointCommand, SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
const [url, apiPid, which] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 0)];
const payloads = JSON.parse(fs.readFileSync("/tmp/exp/payloads.json", "utf8")) as Array<{ key: string; body: string }>;
const cpu = (pid: number) => { const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8"); const x = f.slice(f.lastIndexOf(")") + 2).split(" "); return (Number(x[11]) + Number(x[12])) * 10; };
const p50 = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)].toFixed(2); };
(async () => {
  const client = new SageMakerRuntimeClient({ region: "us-east-1", endpoint: url, maxAttempts: 1, credentials: { accessKeyId: "local", secretAccessKey: "local-secret" } });
  const b = Buffer.from(payloads[which].body); const cmd = () => new InvokeEndpointCommand({ EndpointName: "local", ContentType: "application/json", Accept: "application/json", Body: b });
  for (let i = 0; i < 100; i++) await client.send(cmd());
  const t: number[] = []; const c0 = cpu(apiPid); const u = process.cpuUsage();
  for (let i = 0; i < 2000; i++) { const s = performance.now(); await client.send(cmd()); t.push(performance.now() - s); }
  const d = process.cpuUsage(u);
  console.log(payloads[which].key, "p50", p50(t), "api cpu/req", ((cpu(apiPid) - c0) / 2000).toFixed(3), "client cpu/req", ((d.user + d.system) / 1000 / 2000).toFixed(3));
  client.destroy();
})();
