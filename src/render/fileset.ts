/** A set of generated files to be placed under one base directory. */
export interface GeneratedFile {
  /** Relative POSIX path under the base directory, e.g. "etc/rc.conf.local". */
  readonly path: string;
  readonly content: string;
  /** Unix mode bits, e.g. 0o644. */
  readonly mode: number;
  /** Lines matching this are masked in diffs and previews (secrets). */
  readonly secret?: RegExp;
}

export interface FileSet {
  /** Absolute directory on the server, e.g. the client's NFS root. */
  readonly baseDir: string;
  readonly files: readonly GeneratedFile[];
}
