import { CHAT_MAX_GRAPHEMES, type ChatChannelName } from '../../shared/protocol/chat-messages';
import type { ChatEntry } from '../../src/sdk/chat-log';
import type { TickwireClient } from '../../src/sdk/tickwire-client';

/** Lines drawn per channel: older ones stay in the SDK's log (and on the server). */
const SHOWN = 100;

/**
 * The demo's chat: a Room and a Lobby tab, the lines of the open one (newest at the bottom),
 * "older" to page back, a mute button on others' lines, and a box to type in (Enter focuses it,
 * Enter sends, Escape returns to the game). Rejections and notices show as grey system lines.
 * Text is set with textContent only: a line is never markup.
 */
export class ChatBox {
  private channel: ChatChannelName = 'room';
  private readonly system: string[] = [];
  private readonly lines: HTMLOListElement;
  private readonly input: HTMLInputElement;
  private readonly older: HTMLButtonElement;
  private readonly tabs: Record<ChatChannelName, HTMLButtonElement>;
  private readonly unread: Record<ChatChannelName, number> = { room: 0, lobby: 0 };

  constructor(
    root: HTMLElement,
    private readonly client: TickwireClient<unknown, unknown, unknown>,
    /** Called when the box takes the keyboard (the game should let go of held keys). */
    onFocus: () => void,
  ) {
    root.dataset.ui = 'chat';
    const tabBar = el('div', 'chat-tabs');
    this.tabs = { room: button('Room', 'chat-tab-room'), lobby: button('Lobby', 'chat-tab-lobby') };
    for (const ch of ['room', 'lobby'] as const) {
      this.tabs[ch].addEventListener('click', () => this.show(ch));
      tabBar.append(this.tabs[ch]);
    }
    this.older = button('older…', 'chat-older');
    this.older.addEventListener('click', () => this.client.loadOlderChat(this.channel));
    this.lines = el('ol', 'chat-lines') as HTMLOListElement;
    this.lines.setAttribute('aria-live', 'polite');
    const form = el('form', 'chat-form') as HTMLFormElement;
    this.input = document.createElement('input');
    this.input.id = 'chat-input';
    this.input.placeholder = 'Enter to chat';
    this.input.autocomplete = 'off';
    this.input.maxLength = CHAT_MAX_GRAPHEMES * 2;
    this.input.addEventListener('focus', onFocus);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.input.blur();
    });
    form.append(this.input);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.send();
    });
    root.append(tabBar, this.older, this.lines, form);
    addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && document.activeElement !== this.input) {
        e.preventDefault();
        this.input.focus();
      }
    });
    client.on('chat', ({ ch }) => {
      if (ch !== this.channel) this.unread[ch]++;
      this.render();
    });
    client.on('mutes', () => this.render());
    client.on('chatRejected', (r) =>
      this.note(
        r.reason === 'rate' || r.reason === 'page-rate'
          ? `slow down: ${r.message}`
          : `${r.ref === undefined ? 'no older lines now' : 'not sent'}: ${r.message}`,
      ),
    );
    this.show('room');
  }

  /** A grey line in both tabs (a notice, a refusal). */
  note(text: string): void {
    this.system.push(text);
    if (this.system.length > 5) this.system.shift();
    this.render();
  }

  private send(): void {
    const text = this.input.value;
    if (text.trim() === '') return;
    try {
      this.client.say(this.channel, text);
      this.input.value = '';
    } catch (err) {
      this.note((err as Error).message);
    }
  }

  private show(ch: ChatChannelName): void {
    this.channel = ch;
    this.unread[ch] = 0;
    this.render();
  }

  private render(): void {
    for (const ch of ['room', 'lobby'] as const) {
      const tab = this.tabs[ch];
      tab.classList.toggle('active', ch === this.channel);
      tab.textContent = (ch === 'room' ? 'Room' : 'Lobby') + (this.unread[ch] > 0 ? ` (${this.unread[ch]})` : '');
    }
    this.older.hidden = !this.client.chat.more[this.channel];
    const own = this.client.chatKey;
    const entries = this.client.chat.get(this.channel).slice(-SHOWN);
    const items: HTMLElement[] = entries.map((line) => this.lineItem(line, line.from === own));
    for (const text of this.system) {
      const li = el('li', 'system');
      li.textContent = text;
      items.push(li);
    }
    const atBottom = this.lines.scrollTop + this.lines.clientHeight >= this.lines.scrollHeight - 4;
    this.lines.replaceChildren(...items);
    if (atBottom) this.lines.scrollTop = this.lines.scrollHeight;
  }

  private lineItem(line: ChatEntry, own: boolean): HTMLLIElement {
    const li = el('li', own ? 'own' : '') as HTMLLIElement;
    li.dataset.from = line.from;
    const who = el('b', 'who');
    who.textContent = line.name;
    who.title = new Date(line.at).toLocaleTimeString();
    const text = el('span', 'text');
    text.textContent = line.text;
    li.append(who, text);
    if (!own) {
      const mute = button('mute', '');
      mute.className = 'mute';
      mute.title = `stop seeing ${line.name}`;
      mute.addEventListener('click', () => this.client.mute(line.from));
      li.append(mute);
    }
    return li;
  }
}

function el(tag: string, className: string): HTMLElement {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}

function button(label: string, id: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (id) b.id = id;
  return b;
}
