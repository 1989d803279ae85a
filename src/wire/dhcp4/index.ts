/** DHCPv4 codec (RFC 2131, 2132, 3396, 3004, 4578): pure, one shape: encode / decode / encodingLength. */
export * from "./codes.js";
export * from "./types.js";
export { decode, encode, encodingLength, emptyPacket, type EncodeOptions } from "./packet.js";
export { DecodeError, EncodeError } from "./decode-error.js";
export { getOption, setOption, optionBytes, parseSubOptions, subOptionBytes, OPTION_FORMAT, type OptionValue, type TypedOption, type SubOptions } from "./option-values.js";
export { formatPacket } from "./format.js";
