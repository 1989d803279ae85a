/**
 * Maps a key path in the parsed inventory back to a line and column in the
 * YAML text. Values are located at the value; an unknown key at the key; a
 * missing key at the map that should hold it.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from "yaml";
import type { KeyPath } from "./findings.js";

export interface Position {
  readonly line: number;
  readonly col: number;
}

export class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  /** Node at path, or undefined. With `key`, the key node of the last segment. */
  private find(path: KeyPath, key: boolean): Node | undefined {
    let node: unknown = this.doc.contents;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return undefined;
        node = last && key ? pair.key : pair.value;
      } else if (isSeq(node) && typeof seg === "number") {
        node = node.items[seg];
      } else {
        return undefined;
      }
      if (node === null || node === undefined) return undefined;
    }
    return node as Node;
  }

  private pos(node: Node | undefined): Position | undefined {
    const offset = node?.range?.[0];
    if (offset === undefined) return undefined;
    const p = this.lines.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /** Exact position if the path exists; else the nearest existing ancestor. */
  locate(path: KeyPath, opts: { key?: boolean } = {}): Position {
    for (let n = path.length; n >= 0; n--) {
      const p = this.pos(this.find(path.slice(0, n), n === path.length && opts.key === true));
      if (p) return p;
    }
    return { line: 1, col: 1 };
  }

  has(path: KeyPath): boolean {
    return this.find(path, false) !== undefined;
  }
}
