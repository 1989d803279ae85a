/**
 * Would a given user be allowed to read a path? The kernel's rule for the
 * classic mode bits, decided from stat results so `laggboot doctor`, running
 * as root, can answer for the user laggboot serve drops to (server.runAs):
 * root's own access(2) says yes to everything.
 *
 * Pure: the caller stats each directory on the way and the path itself.
 * ACLs and MAC policies are not modelled (a "yes" here can still be refused
 * by them; a "no" from the mode bits alone is what a sysadmin hits first).
 */

/** Numeric identity of a user: uid, primary gid and supplementary groups. */
export interface UnixIdentity {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/** The parts of a stat result the rule needs. */
export interface ModeOwner {
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}

const R = 4;
const X = 1;

/** The permission bits (rwx as 4/2/1) that apply to `who` for this inode: owner, else group, else other; never a mix. */
export function classBits(st: ModeOwner, who: UnixIdentity): number {
  if (st.uid === who.uid) return (st.mode >> 6) & 7;
  if (st.gid === who.gid || who.groups.includes(st.gid)) return (st.mode >> 3) & 7;
  return st.mode & 7;
}

/** Why `who` cannot reach and read the last entry of `chain` (its directories first, the target last), or undefined when it can. */
export function readRefusal(chain: readonly { readonly path: string; readonly st: ModeOwner; readonly dir: boolean }[], who: UnixIdentity): string | undefined {
  if (who.uid === 0) return undefined;
  for (const [i, link] of chain.entries()) {
    const bits = classBits(link.st, who);
    const last = i === chain.length - 1;
    if (!last && (bits & X) === 0) return `cannot enter ${link.path} (mode ${octal(link.st.mode)}, owner ${link.st.uid}:${link.st.gid})`;
    if (last && (bits & R) === 0) return `cannot read ${link.path} (mode ${octal(link.st.mode)}, owner ${link.st.uid}:${link.st.gid})`;
    if (last && link.dir && (bits & X) === 0) return `cannot enter ${link.path} (mode ${octal(link.st.mode)}, owner ${link.st.uid}:${link.st.gid})`;
  }
  return undefined;
}

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, "0");
