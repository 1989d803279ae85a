/**
 * server.runAs as numbers: uid, gid and the supplementary groups the user
 * gets from initgroups(3) at the drop. Through id(1) and getent(1), which
 * Linux and FreeBSD both have.
 */
import { execFileSync } from "node:child_process";
import { LaggbootError } from "../errors.js";
import type { UnixIdentity } from "./unix-access.js";

const ask = (cmd: string, args: readonly string[]): string | undefined => {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return undefined;
  }
};

const NUM = /^\d+$/;

/** The identity laggboot serve drops to; a LaggbootError (usage) naming the key when the user or group does not exist. */
export function lookupIdentity(user: string, group: string | undefined): UnixIdentity {
  const uid = ask("id", ["-u", user]);
  if (uid === undefined || !NUM.test(uid)) throw new LaggbootError("LB_ERR_USAGE", `server.runAs.user: no such user "${user}"`);
  let gid: string | undefined;
  if (group === undefined) {
    gid = ask("id", ["-g", user]);
  } else {
    gid = NUM.test(group) ? group : ask("getent", ["group", group])?.split(":")[2];
    if (gid === undefined || !NUM.test(gid)) throw new LaggbootError("LB_ERR_USAGE", `server.runAs.group: no such group "${group}"`);
  }
  const groups = (ask("id", ["-G", user]) ?? "").split(/\s+/).filter((g) => NUM.test(g)).map(Number);
  return { uid: Number(uid), gid: Number(gid), groups: [...new Set([Number(gid), ...groups])] };
}
