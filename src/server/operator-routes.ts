import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Listener, OperatorAccess } from './operator-access';
import { readBoundedBody, sendJson, sendText } from './http-reply';
import { escapeForLog } from '../logging/log-sampler';
import type { Logger } from '../logging/logger';
import type { ClusterBus } from '../cluster/cluster-bus';
import type { NodePresence } from '../cluster/node-presence';
import type { NotificationService } from '../notifications/notification-service';
import type { ServerMetrics } from './metrics';

/** Longest operator notice (POST /notice), bytes. */
const MAX_NOTICE_BYTES = 500;

/** The operator routes, by path. */
export const OPERATOR_PATHS: ReadonlySet<string> = new Set([
  '/metrics',
  '/monitor',
  '/monitor.html',
  '/monitor/data',
  '/cluster',
  '/notice',
]);

/** What the operator routes read and act on. */
export interface OperatorHost {
  readonly log: Logger;
  readonly metrics: ServerMetrics | undefined;
  readonly cluster: NodePresence | undefined;
  readonly bus: ClusterBus | undefined;
  readonly notifications: NotificationService;
  /** The monitor's data (`/monitor/data`). */
  monitorData(): unknown;
}

/**
 * Serve an operator route (see {@link OPERATOR_PATHS}); false when `path` is none (or its
 * feature is off), so the caller goes on routing. The monitor page itself is a static file: it
 * sets `req.url` to `/monitor.html` and returns false for the static server to send it.
 */
export function handleOperatorRequest(
  host: OperatorHost,
  access: OperatorAccess,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  via: Listener,
): boolean {
  const what = OPERATOR_ROUTE_NAMES[path];
  if (!what) return false;
  if (path === '/metrics' && !host.metrics) return false;
  if (path === '/cluster' && !host.cluster) return false;
  if (path === '/notice' && !host.bus) return false;
  if (!access.allowed(req, via)) {
    sendText(res, 403, access.refusal(what, via));
    return true;
  }
  switch (path) {
    case '/monitor/data':
      sendJson(res, 200, host.monitorData());
      return true;
    case '/monitor':
    case '/monitor.html':
      // The page itself: built by Vite next to the demo (client-demo/monitor.html).
      req.url = '/monitor.html';
      return false;
    case '/cluster': {
      const presence = host.cluster!;
      presence.registry.view().then(
        ({ nodes, rooms }) => sendJson(res, 200, { node: presence.nodeId, registry: presence.registry.kind, nodes, rooms }),
        (err: Error) => sendText(res, 503, `the cluster registry is unreachable: ${err.message}`),
      );
      return true;
    }
    case '/metrics': {
      const metrics = host.metrics!;
      metrics.text().then(
        (body) => {
          res.writeHead(200, { 'content-type': metrics.contentType });
          res.end(body);
        },
        (err: Error) => sendText(res, 500, `metrics failed: ${err.message}`),
      );
      return true;
    }
    default:
      handleNotice(host, req, res);
      return true;
  }
}

const OPERATOR_ROUTE_NAMES: Record<string, string> = {
  '/metrics': 'metrics',
  '/monitor': 'the monitor',
  '/monitor.html': 'the monitor',
  '/monitor/data': 'the monitor',
  '/cluster': 'the cluster view',
  '/notice': 'POST /notice',
};

/**
 * POST /notice: the body, as text (≤ 500 bytes), goes to every player on every node; with
 * `?user=<userId>`, to that user alone: stored (with a database) and delivered on its next
 * connect if it is offline, answered with the notification's id.
 */
function handleNotice(host: OperatorHost, req: IncomingMessage, res: ServerResponse): void {
  const text = (status: number, body: string) => sendText(res, status, body);
  if (req.method !== 'POST') return text(405, 'method not allowed: POST /notice with the message as the body');
  const userId = new URL(req.url ?? '/', 'http://x').searchParams.get('user');
  if (userId !== null && (userId.length === 0 || userId.length > 128))
    return text(400, "user must be a user id (a token's sub) of 1-128 characters");
  readBoundedBody(req, res, MAX_NOTICE_BYTES, `a notice is at most ${MAX_NOTICE_BYTES} bytes`, (body) => {
    const message = body.toString('utf8').trim();
    if (!message) return text(400, 'the notice is empty: send the message as the request body');
    if (userId !== null) {
      host.log.info({ userId: escapeForLog(userId), message: escapeForLog(message) }, 'operator notice to one user');
      host.notifications.send(userId, message).then(
        (sent) => sendJson(res, 202, sent),
        (err: Error) => text(502, err.message),
      );
      return;
    }
    host.log.info({ message: escapeForLog(message) }, 'operator notice to every node');
    host.bus!.notifyAll(message).then(
      () => text(202, 'sent to every node'),
      (err: Error) => text(502, err.message),
    );
  });
}
