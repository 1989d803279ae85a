import { LaggbootError } from "../../errors.js";

/**
 * A DHCP packet that cannot be decoded. The only error `decode` throws,
 * whatever the bytes: `offset` is the byte where reading failed and `field`
 * names what was being read (a header field or an option), so the server can
 * count and log malformed packets without ever crashing on one.
 */
export class DecodeError extends LaggbootError {
  readonly offset: number;
  readonly field: string;
  constructor(field: string, offset: number, message: string) {
    super("LB_ERR_DHCP_DECODE", `dhcp4: ${field} at byte ${offset}: ${message}`);
    this.name = "DecodeError";
    this.field = field;
    this.offset = offset;
  }
}

/** A reply that cannot be encoded: a field too long, or options over the size limit. */
export class EncodeError extends LaggbootError {
  readonly field: string;
  constructor(field: string, message: string) {
    super("LB_ERR_DHCP_ENCODE", `dhcp4: ${field}: ${message}`);
    this.name = "EncodeError";
    this.field = field;
  }
}
