// A forwarder in front of the proxy that lets one request through at a time: the one-call-at-a-time baseline,
// without a knob in the tool. Requests queue here in arrival order; each waits for the previous answer to end.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SerialGate {
  url: string;
  close(): Promise<void>;
}

export async function startSerialGate(target: string): Promise<SerialGate> {
  const upstream = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let turn: Promise<void> = Promise.resolve();
  const forward = (req: IncomingMessage, res: ServerResponse) =>
    new Promise<void>((resolve) => {
      const fail = () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
        resolve();
      };
      const request = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.on("end", () => resolve());
          answer.on("error", fail);
        },
      );
      request.on("error", fail);
      req.pipe(request);
    });
  const server = http.createServer((req, res) => {
    turn = turn.then(() => forward(req, res));
  });
  server.keepAliveTimeout = 10 * 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
