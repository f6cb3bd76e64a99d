import { WireError, WireErrorCode } from '../binary/wire-error';

/** Longest display name, in grapheme clusters (what a reader sees as one character). */
export const MAX_NAME_GRAPHEMES = 24;
/** Longest display name in UTF-16 code units, after normalization: bounds bytes whatever the script (24 of the longest common emoji sequences fit). */
export const MAX_NAME_CODE_UNITS = 288;
/** Most combining marks on one character: enough for Vietnamese or Devanagari, not for "Zalgo" stacks. */
export const MAX_MARKS_PER_GRAPHEME = 3;

// Control (Cc), format (Cf: bidi overrides, zero-width spaces...), private use (Co), lone
// surrogates (Cs), unassigned (Cn), and line/paragraph separators. The zero-width joiner is a
// format character too, but emoji sequences need it, so it is checked apart (it may not stand alone).
const FORBIDDEN = /[\p{Cc}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]|(?!\u200D)\p{Cf}/u;
/** What draws nothing: spaces, marks, joiners and the default-ignorable fillers (U+3164 and kin). */
const INVISIBLE = /^[\p{Z}\p{M}\p{Default_Ignorable_Code_Point}\u200D]*$/u;
const MARK = /\p{M}/gu;
const SPACES = /\s+/gu;

let segmenter: Intl.Segmenter | undefined;

function bad(msg: string): never {
  throw new WireError(WireErrorCode.BadControl, msg);
}

/**
 * A display name as the server keeps it, or a {@link WireError} saying why it cannot be one.
 * NFKC-normalized (full-width and compatibility forms folded, so "ＡＤＡ" is "ADA"), trimmed,
 * runs of spaces made one. Refused: control, format, private-use, unassigned and separator
 * characters (bidi overrides, zero-width spaces), names that draw nothing, more than
 * {@link MAX_MARKS_PER_GRAPHEME} combining marks on one character, and more than
 * {@link MAX_NAME_GRAPHEMES} characters as a reader counts them.
 */
export function normalizePlayerName(raw: string): string {
  const result = checkDisplayText(raw, MAX_NAME_GRAPHEMES, MAX_NAME_CODE_UNITS);
  if (result.problem !== undefined) bad(`JOIN.name ${result.problem}`);
  return result.text;
}

/** A text others will see, normalized, or why it may not be shown. */
export type DisplayTextCheck = { text: string; problem?: undefined } | { text?: undefined; problem: string };

/**
 * The rules every text shown to other players follows (names, chat lines): NFKC, trimmed, runs
 * of spaces (line breaks included) made one space; no control, format (bidi overrides,
 * zero-width), private-use, unassigned or separator characters; something visible; at most
 * {@link MAX_MARKS_PER_GRAPHEME} combining marks on one character; at most `maxGraphemes`
 * characters as a reader counts them and `maxCodeUnits` UTF-16 units. `problem` completes a
 * sentence whose subject is the text ("must not be empty").
 */
export function checkDisplayText(raw: string, maxGraphemes: number, maxCodeUnits: number): DisplayTextCheck {
  if (raw.length > maxCodeUnits * 2) return { problem: `is over ${maxCodeUnits * 2} UTF-16 units` };
  const text = raw.normalize('NFKC').replace(SPACES, ' ').trim();
  if (text.length === 0) return { problem: 'must not be empty' };
  if (FORBIDDEN.test(text)) return { problem: 'must not contain control, format (bidi, zero-width), private-use or unassigned characters' };
  if (INVISIBLE.test(text)) return { problem: 'must contain something visible' };
  if (text.length > maxCodeUnits) return { problem: `is over ${maxCodeUnits} UTF-16 units` };
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let graphemes = 0;
  for (const { segment } of segmenter.segment(text)) {
    if (++graphemes > maxGraphemes) return { problem: `must be 1-${maxGraphemes} characters` };
    const marks = segment.match(MARK)?.length ?? 0;
    if (marks > MAX_MARKS_PER_GRAPHEME)
      return { problem: `stacks ${marks} combining marks on one character (at most ${MAX_MARKS_PER_GRAPHEME})` };
  }
  return { text };
}

/** The key two names collide under: case and compatibility forms folded. */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase();
}

/**
 * `name`, or the first of "name 2", "name 3"... that `taken` does not hold (compared by
 * {@link nameKey}), cut to fit {@link MAX_NAME_GRAPHEMES}: two players never share a name in a room.
 */
export function uniqueName(name: string, taken: (key: string) => boolean): string {
  if (!taken(nameKey(name))) return name;
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  const clusters = [...segmenter.segment(name)].map((s) => s.segment);
  for (let n = 2; ; n++) {
    const suffix = ` ${n}`;
    const candidate = `${clusters
      .slice(0, MAX_NAME_GRAPHEMES - suffix.length)
      .join('')
      .trimEnd()}${suffix}`;
    if (!taken(nameKey(candidate))) return candidate;
  }
}

/** The first {@link MAX_NAME_GRAPHEMES} characters of `raw`, never splitting one (for UIs that clip input). */
export function clipName(raw: string): string {
  segmenter ??= new Intl.Segmenter('en', { granularity: 'grapheme' });
  let out = '';
  let n = 0;
  for (const { segment } of segmenter.segment(raw.trim())) {
    if (++n > MAX_NAME_GRAPHEMES) break;
    out += segment;
  }
  return out;
}
