import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig, type DefaultTheme } from 'vitepress';

/**
 * The tickwire docs site. `npm run docs` generates the API reference into docs/api/ (TypeDoc, see
 * typedoc.json) and then builds this site into docs/.vitepress/dist/. The dead-link check is left on:
 * a link to a page that does not exist fails the build.
 */

// TypeDoc's sidebar for the API pages (typedoc-vitepress-theme writes it next to the pages). Absent
// before the first `npm run docs`, so the API section then has only its index.
const API_SIDEBAR = fileURLToPath(new URL('../api/typedoc-sidebar.json', import.meta.url));
const apiItems: DefaultTheme.SidebarItem[] = existsSync(API_SIDEBAR) ? JSON.parse(readFileSync(API_SIDEBAR, 'utf8')) : [];

const guide: DefaultTheme.SidebarItem[] = [
  {
    text: 'Guide',
    items: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'Writing a game', link: '/writing-a-game' },
      { text: 'The client SDK', link: '/sdk' },
    ],
  },
  {
    text: 'The server',
    items: [
      { text: 'Configuration and limits', link: '/configuration' },
      { text: 'Sessions and auth', link: '/sessions' },
      { text: 'Replication', link: '/replication' },
      { text: 'Netcode', link: '/netcode' },
      { text: 'WebRTC', link: '/webrtc' },
      { text: 'Persistence and social', link: '/persistence-social' },
    ],
  },
  {
    text: 'Running it',
    items: [
      { text: 'Scale-out', link: '/scale-out' },
      { text: 'Deploying across machines', link: '/deploy' },
      { text: 'Operators: metrics, monitor, health', link: '/operators' },
      { text: 'Load testing and benchmarks', link: '/benchmarks' },
      { text: 'Tests', link: '/testing' },
    ],
  },
  {
    text: 'Reference',
    items: [
      { text: 'Protocol and close codes', link: '/protocol' },
      { text: 'Known limits', link: '/known-limits' },
      { text: 'API reference', link: '/api-reference' },
    ],
  },
];

export default defineConfig({
  title: 'tickwire',
  description: 'An authoritative multiplayer game server for browser games, in TypeScript on Node.js.',
  // Pages are served as /page.html from the static build; cleanUrls would need server rewrites.
  cleanUrls: false,
  lastUpdated: false,
  // Browsers ask for an icon on every page; without one each page logs a 404 (the Chromium test fails on it).
  head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/favicon.svg' }]],
  // The check stays on for every page and anchor-less path; only links to a server you run yourself
  // (http://localhost:8080, the quick start's address) are not expected to resolve at build time.
  ignoreDeadLinks: 'localhostLinks',
  themeConfig: {
    nav: [
      { text: 'Guide', link: '/getting-started' },
      { text: 'Server', link: '/configuration' },
      { text: 'Benchmarks', link: '/benchmarks' },
      { text: 'Known limits', link: '/known-limits' },
      { text: 'API', link: '/api-reference' },
    ],
    sidebar: {
      '/api/': [{ text: 'API reference', link: '/api-reference', items: apiItems }, ...guide],
      '/': guide,
    },
    outline: { level: [2, 3] },
    search: { provider: 'local' },
  },
});
