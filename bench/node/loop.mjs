// The smallest Lambda Runtime API loop for a Node.js handler: the floor under any Node runtime
// client (AWS's aws-lambda-ric does this and more). Used by `make bench` when aws-lambda-ric
// did not install, or with `--node-runtime loop`.
//
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 node loop.mjs create_auth_challenge.handler
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const API = `/2018-06-01/runtime`;
const [host, port] = (process.env.AWS_LAMBDA_RUNTIME_API ?? "").split(":");
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

const call = (method, route, body) =>
  new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: API + route, agent }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });

const failure = (e) => JSON.stringify({ errorMessage: String(e?.message ?? e), errorType: e?.name ?? "Error" });

const [moduleName, handlerName] = (process.argv[2] ?? "").split(".");
let handler;
try {
  const module = await import(pathToFileURL(path.resolve(`${moduleName}.mjs`)).href);
  handler = module[handlerName];
  if (typeof handler !== "function") throw new Error(`${process.argv[2]} is not a function`);
} catch (e) {
  await call("POST", "/init/error", failure(e));
  process.exit(1);
}

for (;;) {
  const next = await call("GET", "/invocation/next");
  const id = next.headers["lambda-runtime-aws-request-id"];
  const deadline = Number(next.headers["lambda-runtime-deadline-ms"]);
  const context = { awsRequestId: id, getRemainingTimeInMillis: () => deadline - Date.now() };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call("POST", `/invocation/${id}/response`, JSON.stringify(result));
  } catch (e) {
    await call("POST", `/invocation/${id}/error`, failure(e));
  }
}
