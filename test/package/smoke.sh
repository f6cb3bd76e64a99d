#!/usr/bin/env bash
# The package as a game developer gets it: pack the tarball, install it into an empty project,
# type-check a tiny second game written against the public imports only, run its server from
# the compiled package, and play it with the packaged client, over WebSocket and then over
# WebRTC once its optional peers are installed.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -h "$work/$tarball" | cut -f1))"
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module
npm install --no-audit --no-fund --silent "$work/$tarball" ws@8 typescript@5 @types/ws@8 @types/node@20 >/dev/null
cp "$root/test/package/counter-game.ts" "$root/test/package/play.ts" .
# The README's first game, compiled against the package as a reader would (NodeNext, strict).
mkdir first-game
cp "$root"/examples/first-game/*.ts first-game/
cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true, "skipLibCheck": false, "types": ["node"], "outDir": "out", "lib": ["ES2022", "DOM"] }, "include": ["*.ts", "first-game/*.ts"] }
JSON
npx tsc
node out/play.js
# WebRTC, an optional peer, installed as the README says: the two packages, then the override
# that moves geckos.io's pinned node-datachannel 0.32.1 (which would build with cmake) to 0.33.
npm install --no-audit --no-fund --silent node-datachannel@~0.33.4 >/dev/null
npm pkg set 'overrides.node-datachannel=$node-datachannel'
npm install --no-audit --no-fund --silent @geckos.io/server@~3.1.0 >/dev/null
node out/play.js webrtc
