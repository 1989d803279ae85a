/** A TFTP packet that cannot be decoded. `offset` is the byte where reading failed. */
export class DecodeError extends Error {
  readonly offset: number;
  readonly field: string;
  constructor(field: string, offset: number, message: string) {
    super(`tftp: ${field} at byte ${offset}: ${message}`);
    this.name = "DecodeError";
    this.field = field;
    this.offset = offset;
  }
}
