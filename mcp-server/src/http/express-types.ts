/**
 * The few Express 5 shapes this server uses. Express comes with the MCP SDK; `@types/express` is not
 * a dependency of the workspace, so these local types keep the code strict without it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

export interface Request extends IncomingMessage {
  params: Record<string, string | string[]>;
  path: string;
  protocol: string;
  body: unknown;
  url: string;
  method: string;
  auth?: AuthInfo;
  get(name: string): string | undefined;
}

export interface Response extends ServerResponse {
  status(code: number): Response;
  json(body: unknown): Response;
  set(name: string, value: string): Response;
}

export type NextFunction = (err?: unknown) => void;
export type RequestHandler = (req: Request, res: Response, next: NextFunction) => unknown;

export interface App {
  use(handler: RequestHandler | unknown): App;
  use(path: string, ...handlers: (RequestHandler | unknown)[]): App;
  get(path: string, handler: RequestHandler): App;
  all(path: string, handler: RequestHandler): App;
  disable(setting: string): App;
  listen(port: number, host: string, callback: (err?: Error) => void): Server;
}
