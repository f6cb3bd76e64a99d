import type { NetworkSimulator } from '../../src/sdk/network-simulator';

/** One slider: its input element, its label and how its value becomes link conditions. */
interface Knob {
  input: HTMLInputElement;
  out: HTMLOutputElement;
  format: (v: number) => string;
}

/**
 * The network simulator's controls: round trip, jitter and loss sliders, and buttons for a
 * latency spike and a stall. Every change goes to the SDK's {@link NetworkSimulator} at once,
 * both directions alike (half the round trip each way). The page's URL may preset them:
 * `?latency=300&jitter=50&loss=0.02`.
 */
export class NetPanel {
  private readonly latency: Knob;
  private readonly jitter: Knob;
  private readonly loss: Knob;

  constructor(
    root: HTMLElement,
    private readonly net: NetworkSimulator,
    params: URLSearchParams,
    transport: string,
  ) {
    root.innerHTML = `
      <summary>network</summary>
      <label>transport <select id="net-transport"><option value="auto">auto (WebRTC, else WebSocket)</option><option value="webrtc">WebRTC</option><option value="ws">WebSocket</option></select></label>
      <label>round trip <input id="net-latency" type="range" min="0" max="600" step="10" value="0"> <output></output></label>
      <label>jitter ± <input id="net-jitter" type="range" min="0" max="150" step="5" value="0"> <output></output></label>
      <label>loss <input id="net-loss" type="range" min="0" max="0.2" step="0.01" value="0"> <output></output></label>
      <div class="net-buttons"><button id="net-spike" type="button">spike +200 ms</button> <button id="net-stall" type="button">stall 500 ms</button></div>`;
    const knob = (id: string, format: (v: number) => string): Knob => {
      const input = root.querySelector<HTMLInputElement>(`#${id}`)!;
      const out = input.parentElement!.querySelector('output')!;
      input.addEventListener('input', () => this.apply());
      return { input, out, format };
    };
    this.latency = knob('net-latency', (v) => `${v} ms`);
    this.jitter = knob('net-jitter', (v) => `${v} ms`);
    this.loss = knob('net-loss', (v) => `${(v * 100).toFixed(0)} %`);
    for (const [k, name] of [
      [this.latency, 'latency'],
      [this.jitter, 'jitter'],
      [this.loss, 'loss'],
    ] as const) {
      const preset = params.get(name);
      if (preset !== null && Number.isFinite(Number(preset))) k.input.value = preset;
    }
    // A transport is chosen when the link opens: switching reloads the page (the seat comes back
    // through the resume token in sessionStorage).
    const select = root.querySelector<HTMLSelectElement>('#net-transport')!;
    select.value = transport;
    select.addEventListener('change', () => {
      const next = new URL(location.href);
      next.searchParams.set('transport', select.value);
      location.href = next.toString();
    });
    root.querySelector('#net-spike')!.addEventListener('click', () => net.spike(300, 200));
    root.querySelector('#net-stall')!.addEventListener('click', () => net.stall(500));
    this.apply();
  }

  /** Push the sliders' values to the simulator and their labels. */
  private apply(): void {
    const rtt = Number(this.latency.input.value);
    const jitter = Number(this.jitter.input.value);
    const loss = Number(this.loss.input.value);
    for (const k of [this.latency, this.jitter, this.loss]) k.out.textContent = k.format(Number(k.input.value));
    const each = { latencyMs: rtt / 2, jitterMs: jitter, loss };
    this.net.set({ up: each, down: each });
  }
}
