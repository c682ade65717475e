/**
 * Convex v6 document IDs.
 *
 * Binary layout (crates/value/src/id_v6.rs in get-convex/convex-backend):
 *
 *   [VInt(table number): 1–5 bytes] [internal id: 16 bytes] [footer: 2 bytes]
 *
 * The footer is `fletcher16(previous bytes) ^ VERSION` stored little-endian,
 * with VERSION = 0. The bytes are then written as lowercase Crockford base32
 * (big-endian 5-bit groups, no padding). Decoding is strict: an ID is only
 * accepted if re-encoding it gives back exactly the same string.
 */

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const ID_VERSION = 0;
const INTERNAL_ID_LENGTH = 16;
const MAX_TABLE_NUMBER = 0xffff_ffff;
const MS_PER_DAY = 86_400_000;

/** Shortest/longest possible encoded ID: 19 bytes → 31 chars, 23 bytes → 37 chars. */
const MIN_ENCODED_LENGTH = 31;
const MAX_ENCODED_LENGTH = 37;

// ASCII code → 5-bit value, or -1 for characters outside the alphabet.
const DECODE_TABLE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    table[ALPHABET.charCodeAt(i)] = i;
  }
  return table;
})();

/** Decoded form of a v6 document ID. */
export interface DecodedDocumentId {
  tableNumber: number;
  internalId: Uint8Array;
}

function vintLength(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x20_0000) return 3;
  if (n < 0x1000_0000) return 4;
  return 5;
}

/** Fletcher-16 with modulus 256 (not 255), as Convex computes it. */
function fletcher16(bytes: Uint8Array, end: number): number {
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < end; i++) {
    c0 = (c0 + bytes[i]!) & 0xff;
    c1 = (c1 + c0) & 0xff;
  }
  return (c1 << 8) | c0;
}

function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    buffer = ((buffer << 8) | bytes[i]!) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 0x1f];
    }
  }
  if (bits > 0) {
    // The final group is padded with zero bits on the right.
    out += ALPHABET[(buffer << (5 - bits)) & 0x1f];
  }
  return out;
}

/** Returns null on any character outside the lowercase alphabet. */
function base32Decode(s: string): Uint8Array | null {
  // Like Rust, trailing bits that don't fill a whole byte are dropped here;
  // the caller's round-trip check rejects strings where they were non-zero.
  const out = new Uint8Array(Math.floor((s.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let pos = 0;
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const value = code < 128 ? DECODE_TABLE[code]! : -1;
    if (value < 0) return null;
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      if (pos < out.length) out[pos++] = (buffer >>> bits) & 0xff;
    }
  }
  return out;
}

/**
 * Encodes a table number and a 16-byte internal ID as a v6 document ID string.
 *
 * Throws `RangeError` if `tableNumber` is not an integer in 1..2^32-1 or if
 * `internalId` is not exactly 16 bytes.
 */
export function encodeDocumentId(
  tableNumber: number,
  internalId: Uint8Array,
): string {
  if (
    !Number.isInteger(tableNumber) ||
    tableNumber < 1 ||
    tableNumber > MAX_TABLE_NUMBER
  ) {
    throw new RangeError(`Invalid table number ${tableNumber}`);
  }
  if (internalId.length !== INTERNAL_ID_LENGTH) {
    throw new RangeError(
      `Internal ID must be ${INTERNAL_ID_LENGTH} bytes, got ${internalId.length}`,
    );
  }
  const tableBytes = vintLength(tableNumber);
  const bytes = new Uint8Array(tableBytes + INTERNAL_ID_LENGTH + 2);
  let pos = 0;
  let n = tableNumber;
  while (n >= 0x80) {
    bytes[pos++] = (n & 0x7f) | 0x80;
    // Division instead of `>>>` keeps this correct above 2^31.
    n = Math.floor(n / 128);
  }
  bytes[pos++] = n;
  bytes.set(internalId, pos);
  pos += INTERNAL_ID_LENGTH;
  const footer = fletcher16(bytes, pos) ^ ID_VERSION;
  bytes[pos] = footer & 0xff;
  bytes[pos + 1] = footer >>> 8;
  return base32Encode(bytes);
}

/**
 * Decodes a v6 document ID string.
 *
 * Returns null (never throws) for anything that is not a canonical v6 ID:
 * wrong length, characters outside the alphabet (including uppercase), a bad
 * table number, a checksum mismatch, or a non-canonical encoding.
 */
export function decodeDocumentId(id: string): DecodedDocumentId | null {
  if (
    typeof id !== "string" ||
    id.length < MIN_ENCODED_LENGTH ||
    id.length > MAX_ENCODED_LENGTH
  ) {
    return null;
  }
  const bytes = base32Decode(id);
  if (bytes === null) return null;

  let tableNumber = 0;
  let pos = 0;
  for (let i = 0; ; i++) {
    // More than five VInt bytes cannot fit a u32.
    if (i >= 5 || pos >= bytes.length) return null;
    const byte = bytes[pos++]!;
    tableNumber += (byte & 0x7f) * 2 ** (7 * i);
    if (byte < 0x80) break;
  }
  if (tableNumber === 0 || tableNumber > MAX_TABLE_NUMBER) return null;

  if (pos + INTERNAL_ID_LENGTH + 2 !== bytes.length) return null;
  const internalId = bytes.slice(pos, pos + INTERNAL_ID_LENGTH);
  pos += INTERNAL_ID_LENGTH;
  const expectedFooter = fletcher16(bytes, pos) ^ ID_VERSION;
  const footer = bytes[pos]! | (bytes[pos + 1]! << 8);
  if (footer !== expectedFooter) return null;

  // Several strings can decode to the same bytes (ignored trailing bits, an
  // over-long VInt); only the canonical spelling is a valid ID.
  if (encodeDocumentId(tableNumber, internalId) !== id) return null;
  return { tableNumber, internalId };
}

/**
 * Returns true iff `id` is a canonical v6 document ID. Never throws.
 */
export function isDocumentId(id: string): boolean {
  return decodeDocumentId(id) !== null;
}

/**
 * Creates a fresh 16-byte internal ID: 14 random bytes followed by the number
 * of whole days since the Unix epoch as a big-endian u16.
 *
 * Throws `RangeError` if `randomBytes` returns fewer than 14 bytes or if
 * `nowMs` is before the epoch or after the u16 day range (year 2149).
 */
export function newInternalId(
  nowMs: number,
  randomBytes: (n: number) => Uint8Array,
): Uint8Array {
  const random = randomBytes(14);
  if (random.length < 14) {
    throw new RangeError(`randomBytes(14) returned ${random.length} bytes`);
  }
  const days = Math.floor(nowMs / MS_PER_DAY);
  if (!(days >= 0 && days <= 0xffff)) {
    throw new RangeError(`Timestamp ${nowMs} is outside the ID day range`);
  }
  const id = new Uint8Array(INTERNAL_ID_LENGTH);
  id.set(random.subarray(0, 14), 0);
  id[14] = days >>> 8;
  id[15] = days & 0xff;
  return id;
}
