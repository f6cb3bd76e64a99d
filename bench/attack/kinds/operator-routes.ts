/**
 * The operator routes (`/metrics`, `/monitor/data`, `/cluster`, `POST /notice`) through a
 * reverse proxy on the server's own machine. Its aim: nothing but 403 (or the 429 of the proxy's
 * own shared address) comes back.
 */
import { type AttackKind, attackerAddress, bump, httpFrom, MAX_ATTEMPTS, sleep } from '../attack-kit';

/**
 * Every operator route, through a reverse proxy on the server's own machine (as most
 * deployments put one), from many addresses: anything but 403 is a hole.
 */
export const operatorRoutesViaProxy: AttackKind = {
  name: 'operator routes via a same-host proxy',
  attack: async ({ until, tally, index, proxyPort }) => {
    const routes: [string, string][] = [
      ['GET', '/metrics'],
      ['GET', '/monitor/data'],
      ['GET', '/cluster'],
      ['POST', '/notice'],
      ['POST', '/notice?user=victim'],
    ];
    for (let i = 0; i < MAX_ATTEMPTS && performance.now() < until; i++) {
      const [method, path] = routes[i % routes.length]!;
      const answer = await httpFrom(proxyPort!, method, path, attackerAddress(index), method === 'POST' ? 'free gold' : undefined);
      bump(tally, `HTTP ${answer.status}`);
      await sleep(50);
    }
  },
  judge: (t) => {
    const through = Object.keys(t).filter((k) => k !== 'HTTP 403' && k !== 'HTTP 429');
    return through.length ? `answers other than 403/429 through the proxy: ${through.join(', ')}` : undefined;
  },
};
