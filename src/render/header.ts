/** The first lines of every generated file that can carry a comment. */
export function generatedHeader(what: string, comment = "#"): string {
  return [
    `${comment} ${what}`,
    `${comment} Written by laggboot from the inventory; "laggboot apply" replaces this file.`,
    `${comment} Change the inventory, not this file.`,
  ].join("\n");
}
