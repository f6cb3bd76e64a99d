import { CloseCode } from '../../shared/protocol/close-codes';

/** Close code → its name in {@link CloseCode}, built once. */
const NAMES = new Map<number, string>(Object.entries(CloseCode).map(([name, code]) => [code, name]));

/**
 * A sentence for a WebSocket close, e.g. "4005 Timeout: no message for 15000 ms". Codes the server
 * never sends get the browser's meaning (1006: the connection dropped without a close frame).
 */
export function describeClose(code: number, reason: string): string {
  const name = NAMES.get(code) ?? (code === 1006 ? 'ConnectionLost' : 'Closed');
  const why = reason || (code === 1006 ? 'the server went away or the network dropped' : 'no reason given');
  return `${code} ${name}: ${why}`;
}
