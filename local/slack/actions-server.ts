/**
 * A local stand-in for the API Gateway HTTP API in front of slack-actions: a node:http server
 * on 127.0.0.1 that turns each request into a payload-format-2.0 event (lower-case headers,
 * the raw body, base64-encoded unless it is JSON or text, as API Gateway does for other
 * content types) for the same handler, and writes the handler's answer back.
 *
 * Point a Slack app's Interactivity Request URL at it through a tunnel, or send it signed
 * requests from tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { localContext } from '../lambda-context.js';

/** A Lambda handler for HTTP API payload 2.0 events (as createHandler returns). */
export type HttpApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface ActionsServerOptions {
  /** 0 (default): any free port. */
  readonly port?: number;
  /** The function name in the Lambda context (default `slack-actions`). */
  readonly functionName?: string;
  /** Larger bodies are answered 413 without calling the handler (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

export interface ActionsServer {
  /** `http://127.0.0.1:<port>`: the Request URL is any path under it. */
  readonly url: string;
  close(): Promise<void>;
}

/** Thrown (and answered 413) when a request body exceeds `maxBodyBytes`. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // Past the limit the rest is read and dropped, so the 413 can still be written.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () =>
      size > max
        ? reject(new BodyTooLargeError(`request body exceeds ${max} bytes`))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

/** Whether API Gateway would pass this content type as text (not base64). */
function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json' || type.endsWith('+json');
}

/** An HTTP API payload 2.0 event for a request. */
export function httpApiEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    if (key === 'cookie') cookies.push(...(Array.isArray(value) ? value : value.split(/;\s*/)));
    else headers[key] = Array.isArray(value) ? value.join(',') : value;
  }
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const method = req.method ?? 'GET';
  const now = new Date();
  const textual = isTextual(headers['content-type']);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0
      ? { body: textual ? body.toString('utf8') : body.toString('base64'), isBase64Encoded: !textual }
      : { isBase64Encoded: false }),
  };
}

function write(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  if (result.cookies && result.cookies.length > 0) res.setHeader('set-cookie', result.cookies);
  const body = result.body === undefined ? '' : result.body;
  const bytes = result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  res.writeHead(
    result.statusCode ?? 200,
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
  );
  res.end(bytes);
}

/**
 * Serves `handler` on 127.0.0.1. Each request becomes one invocation with a fresh local Lambda
 * context; a handler that throws is answered 500 (as API Gateway answers a failed invocation),
 * with the error on stderr.
 */
export async function startActionsServer(
  handler: HttpApiHandler,
  options: ActionsServerOptions = {},
): Promise<ActionsServer> {
  const functionName = options.functionName ?? 'slack-actions';
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const server = createServer((req, res) => {
    void (async () => {
      let body: Buffer;
      try {
        body = await readBody(req, maxBodyBytes);
      } catch (e) {
        if (!res.headersSent)
          write(res, {
            statusCode: e instanceof BodyTooLargeError ? 413 : 400,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              message: e instanceof BodyTooLargeError ? 'Request Entity Too Large' : 'Bad Request',
            }),
          });
        return;
      }
      try {
        write(res, await handler(httpApiEvent(req, body), localContext(functionName)));
      } catch (e) {
        process.stderr.write(
          `slack-actions: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`,
        );
        if (!res.headersSent)
          write(res, {
            statusCode: 500,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: 'Internal Server Error' }),
          });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
