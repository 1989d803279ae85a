/**
 * Reads the inventory's YAML once, with js-yaml's event parser, into plain
 * data plus a Locator that maps a key path back to a line and column. The
 * path index is built from the same events, and only when a finding needs a
 * position, so a clean 10,000-client inventory pays for one parse only.
 *
 * Values are located at the value; an unknown key at the key; a missing key
 * at the mapping that should hold it.
 */
import { CORE_SCHEMA, EVENT_ID, SCALAR_STYLE, YAMLException, constructFromEvents, getScalarValue, parseEvents, type Event } from "js-yaml";
import type { KeyPath } from "./findings.js";

export interface Position {
  readonly line: number;
  readonly col: number;
}

/** Aliases are resolved by reference; a cap keeps an alias bomb from exploding the validators' walk. */
const MAX_ALIASES = 100;

/** One node of the document: where its value (and, in a mapping, its key) starts. */
interface Spot {
  readonly valueAt: number;
  readonly keyAt: number | undefined;
  children: Map<string | number, Spot> | undefined;
}

export class Locator {
  private root: Spot | undefined;
  private lineStarts: number[] | undefined;

  constructor(
    private readonly text: string,
    private readonly events: readonly Event[],
  ) {}

  /** The document as a tree of Spots, from the event stream (built once, on first use). */
  private tree(): Spot {
    if (this.root) return this.root;
    type Frame = { spot: Spot; seq: boolean; next: number; key: string | undefined; keyAt: number | undefined };
    const stack: Frame[] = [];
    let root: Spot = { valueAt: 0, keyAt: undefined, children: undefined };
    const place = (start: number): Spot | undefined => {
      const top = stack[stack.length - 1];
      if (!top) {
        root = { valueAt: start, keyAt: undefined, children: undefined };
        return root;
      }
      const children = (top.spot.children ??= new Map());
      if (top.seq) {
        const spot: Spot = { valueAt: start, keyAt: undefined, children: undefined };
        children.set(top.next++, spot);
        return spot;
      }
      if (top.key === undefined) return undefined; // this node is a key
      const spot: Spot = { valueAt: start, keyAt: top.keyAt, children: undefined };
      children.set(top.key, spot);
      top.key = undefined;
      return spot;
    };
    for (const ev of this.events) {
      switch (ev.type) {
        case EVENT_ID.MAPPING:
        case EVENT_ID.SEQUENCE: {
          const spot = place(ev.start) ?? { valueAt: ev.start, keyAt: undefined, children: undefined };
          stack.push({ spot, seq: ev.type === EVENT_ID.SEQUENCE, next: 0, key: undefined, keyAt: undefined });
          break;
        }
        case EVENT_ID.SCALAR:
        case EVENT_ID.ALIAS: {
          // A quoted scalar's value starts after its quote: point at the quote, where the token starts.
          const quoted = ev.type === EVENT_ID.SCALAR && (ev.style === SCALAR_STYLE.SINGLE_QUOTED || ev.style === SCALAR_STYLE.DOUBLE_QUOTED);
          const start = ev.type === EVENT_ID.SCALAR ? ev.valueStart - (quoted ? 1 : 0) : ev.anchorStart;
          const top = stack[stack.length - 1];
          if (top !== undefined && !top.seq && top.key === undefined) {
            top.key = ev.type === EVENT_ID.SCALAR ? getScalarValue(this.text, ev) : "*";
            top.keyAt = start;
          } else {
            place(start);
          }
          break;
        }
        case EVENT_ID.POP:
          stack.pop();
          break;
        default:
          break;
      }
    }
    this.root = root;
    return root;
  }

  position(offset: number): Position {
    if (!this.lineStarts) {
      const starts = [0];
      for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
      this.lineStarts = starts;
    }
    const starts = this.lineStarts;
    let lo = 0, hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo]! + 1 };
  }

  private spot(path: KeyPath): Spot | undefined {
    let node: Spot | undefined = this.tree();
    for (const seg of path) {
      node = node.children?.get(seg);
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** Exact position if the path exists; else the nearest existing ancestor. */
  locate(path: KeyPath, opts: { key?: boolean } = {}): Position {
    for (let n = path.length; n >= 0; n--) {
      const s = this.spot(path.slice(0, n));
      if (s) {
        const at = n === path.length && opts.key === true && s.keyAt !== undefined ? s.keyAt : s.valueAt;
        return this.position(at);
      }
    }
    return { line: 1, col: 1 };
  }

  has(path: KeyPath): boolean {
    return this.spot(path) !== undefined;
  }
}

export type YamlSource =
  | { readonly ok: true; readonly data: unknown; readonly locator: Locator }
  | { readonly ok: false; readonly message: string; readonly line: number; readonly col: number };

/** One YAML document (YAML 1.2 core schema: no timestamps, no merge keys), duplicate keys refused. */
export function readYaml(text: string): YamlSource {
  try {
    const events = parseEvents(text, { maxDepth: 64 });
    const docs = constructFromEvents(events, { source: text, schema: CORE_SCHEMA, maxAliases: MAX_ALIASES });
    if (docs.length > 1) {
      const second = new Locator(text, events);
      return { ok: false, message: "the inventory must be one YAML document, not several", ...second.position(text.indexOf("\n---") + 1) };
    }
    return { ok: true, data: docs[0] ?? null, locator: new Locator(text, events) };
  } catch (e) {
    if (e instanceof YAMLException) {
      return { ok: false, message: e.reason, line: (e.mark?.line ?? 0) + 1, col: (e.mark?.column ?? 0) + 1 };
    }
    return { ok: false, message: e instanceof Error ? e.message : String(e), line: 1, col: 1 };
  }
}
