/**
 * QuickJS binary JSON, written on the host: the object format `JS_WriteObject` produces for JSON
 * values and `JS_ReadObject` reads back (quickjs-emscripten's `decodeBinaryJSON`), for the Bellard
 * build the runner uses (`BC_VERSION` 5, quickjs-emscripten 0.32). The guest decodes it about three
 * times faster than it parses the same value as JSON text, and the bytes enter the WebAssembly heap
 * with one copy instead of emscripten's per-character UTF-8 loops.
 *
 * The layout: the version byte, the atom table (every property name that is not an array index,
 * each once: a LEB128 count, then each name as a string), then the value. Tags are single bytes;
 * an int32 is a zigzag LEB128, a float64 eight little-endian bytes; a string is a LEB128 of
 * `length << 1 | wide` followed by `length` Latin-1 bytes or UTF-16LE code units; an object is a
 * LEB128 property count, then per property its atom (`index << 1`, the table's first entry being
 * index 1, or `n << 1 | 1` for an array index `n` up to 2^31 - 1, which QuickJS keeps as a tagged
 * integer, never in the table) and its value; an array its LEB128 length and its elements.
 *
 * Only what JSON text can carry is written, exactly as `JSON.parse(JSON.stringify(value))` would
 * rebuild it in the guest: `-0` becomes `0`, non-finite numbers `null`, `undefined`, functions and
 * symbols are left out of objects and `null` in arrays. Anything `JSON.stringify` would treat in
 * another way (a `toJSON`, a `BigInt`, a boxed primitive, a class instance, a cycle, nesting deeper
 * than {@link maxBinaryDepth}) makes {@link encodeBinaryJson} return `undefined`, and the caller
 * sends JSON text instead, which keeps `JSON.stringify`'s own behaviour and errors.
 *
 * The guest side reads data only: `QTS_bjson_decode` calls `JS_ReadObject` with no flags, which
 * refuses function bytecode, modules, SharedArrayBuffers and object references; and the bytes are
 * always the host's own, never a plugin's.
 */

/** The format version `JS_WriteObject` writes and `JS_ReadObject` insists on (`BC_VERSION`). */
export const binaryJsonVersion = 5;

/**
 * Nesting beyond which the encoder leaves a value to JSON text. Values that cross into the guest
 * are bounded far below this (reports at 64 levels, `maxJsonDepth`); it only bounds the host stack.
 */
export const maxBinaryDepth = 512;

const enum Tag {
  Null = 1,
  False = 3,
  True = 4,
  Int32 = 5,
  Float64 = 6,
  String = 7,
  Object = 8,
  Array = 9,
}

/** The largest array index QuickJS keeps as a tagged integer atom (`JS_ATOM_MAX_INT`). */
const maxIntAtom = 0x7fff_ffff;

/** Strings at least this long are copied by `Buffer`'s native encoders rather than a loop. */
const nativeStringChars = 64;

// Any code unit above Latin-1 makes a QuickJS string 16-bit.
const wideChars = /[\u0100-\uffff]/;

/** Thrown inside the encoder for a value JSON text must carry instead; never escapes it. */
class NotPlain {}
const notPlain = new NotPlain();

class Writer {
  bytes: Buffer;
  view: DataView;
  at = 0;
  readonly atoms = new Map<string, number>();

  constructor(capacity: number) {
    this.bytes = Buffer.allocUnsafe(capacity);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  reserve(count: number): void {
    if (this.at + count <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.at + count));
    this.bytes.copy(grown, 0, 0, this.at);
    this.bytes = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  byte(value: number): void {
    this.reserve(1);
    this.bytes[this.at++] = value;
  }

  leb128(value: number): void {
    this.reserve(5);
    let rest = value >>> 0;
    while (rest >= 0x80) {
      this.bytes[this.at++] = (rest & 0x7f) | 0x80;
      rest >>>= 7;
    }
    this.bytes[this.at++] = rest;
  }

  string(text: string): void {
    const length = text.length;
    if (length >= nativeStringChars) {
      const wide = wideChars.test(text);
      this.leb128((length << 1) | (wide ? 1 : 0));
      this.reserve(wide ? length * 2 : length);
      this.at += this.bytes.write(text, this.at, wide ? 'utf16le' : 'latin1');
      return;
    }
    this.reserve(5 + length * 2);
    const start = this.at;
    this.leb128(length << 1);
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code > 0xff) {
        this.at = start;
        this.wideString(text);
        return;
      }
      this.bytes[this.at++] = code;
    }
  }

  private wideString(text: string): void {
    const length = text.length;
    this.leb128((length << 1) | 1);
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      this.bytes[this.at++] = code & 0xff;
      this.bytes[this.at++] = code >>> 8;
    }
  }

  number(value: number): void {
    if ((value | 0) === value && !(value === 0 && 1 / value < 0)) {
      this.byte(Tag.Int32);
      this.leb128((value << 1) ^ (value >> 31));
    } else if (value === 0) {
      // -0: JSON text writes it as `0`.
      this.byte(Tag.Int32);
      this.byte(0);
    } else if (Number.isFinite(value)) {
      this.reserve(9);
      this.bytes[this.at++] = Tag.Float64;
      this.view.setFloat64(this.at, value, true);
      this.at += 8;
    } else {
      this.byte(Tag.Null);
    }
  }

  key(name: string): void {
    const index = arrayIndex(name);
    if (index !== undefined) {
      this.leb128(index * 2 + 1);
      return;
    }
    let atom = this.atoms.get(name);
    if (atom === undefined) {
      atom = this.atoms.size + 1;
      this.atoms.set(name, atom);
    }
    this.leb128(atom << 1);
  }

  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'string':
        this.byte(Tag.String);
        this.string(value);
        return;
      case 'number':
        this.number(value);
        return;
      case 'boolean':
        this.byte(value ? Tag.True : Tag.False);
        return;
      case 'object':
        if (value === null) this.byte(Tag.Null);
        else if (Array.isArray(value)) this.array(value, depth + 1);
        else this.object(value as Record<string, unknown>, depth + 1);
        return;
      default:
        throw notPlain;
    }
  }

  private array(items: readonly unknown[], depth: number): void {
    if (depth > maxBinaryDepth || Object.getPrototypeOf(items) !== Array.prototype || 'toJSON' in items) throw notPlain;
    const length = items.length;
    this.byte(Tag.Array);
    this.leb128(length);
    for (let i = 0; i < length; i++) {
      const item = items[i];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') this.byte(Tag.Null);
      else this.value(item, depth);
    }
  }

  private object(record: Record<string, unknown>, depth: number): void {
    const proto: unknown = Object.getPrototypeOf(record);
    if (depth > maxBinaryDepth || (proto !== Object.prototype && proto !== null) || 'toJSON' in record) throw notPlain;
    const names = Object.keys(record);
    this.byte(Tag.Object);
    const countAt = this.at;
    this.leb128(names.length);
    const bodyAt = this.at;
    let count = 0;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      const item = record[name];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      count++;
      this.key(name);
      this.value(item, depth);
    }
    if (count !== names.length) this.recount(countAt, bodyAt, count);
  }

  /** Rewrites an object's property count once some properties were left out (rare: read each value once). */
  private recount(countAt: number, bodyAt: number, count: number): void {
    const end = this.at;
    this.at = countAt;
    this.leb128(count);
    if (this.at !== bodyAt) this.bytes.copyWithin(this.at, bodyAt, end);
    this.at += end - bodyAt;
  }

  /** The atom table, then the value written so far. */
  finish(): Uint8Array {
    const body = this.at;
    const header = new Writer(16 + this.atoms.size * 16);
    header.byte(binaryJsonVersion);
    header.leb128(this.atoms.size);
    for (const name of this.atoms.keys()) header.string(name);
    // Its own ArrayBuffer, exactly as long: it is handed on (or transferred) whole.
    const out = new Uint8Array(header.at + body);
    out.set(header.bytes.subarray(0, header.at), 0);
    out.set(this.bytes.subarray(0, body), header.at);
    return out;
  }
}

/** `name`'s value if QuickJS makes it a tagged integer atom (`is_num_string`, at most 2^31 - 1). */
function arrayIndex(name: string): number | undefined {
  const length = name.length;
  if (length === 0 || length > 10) return undefined;
  const first = name.charCodeAt(0);
  if (first < 0x30 || first > 0x39 || (first === 0x30 && length > 1)) return undefined;
  let value = first - 0x30;
  for (let i = 1; i < length; i++) {
    const digit = name.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value <= maxIntAtom ? value : undefined;
}

/**
 * `value` as QuickJS binary JSON, decoding in the guest to what `JSON.parse(JSON.stringify(value))`
 * gives; `undefined` if `value` holds anything JSON text would treat otherwise than as plain data
 * (see the module documentation), for the caller to send as text.
 *
 * @param capacity - a first guess of the size in bytes; the buffer grows as needed.
 */
export function encodeBinaryJson(value: unknown, capacity = 4096): Uint8Array | undefined {
  const writer = new Writer(capacity);
  try {
    writer.value(value, 0);
  } catch {
    // Not plain data, or a getter threw, or the host ran out of memory: JSON.stringify decides.
    return undefined;
  }
  return writer.finish();
}

/**
 * Below this many bytes a batch's items cross as JSON text: one report with its accumulator (~0.5–1
 * KB) gains nothing from the faster decode, and the ArrayBuffer's move and the extra calls into
 * WebAssembly cost more (one-report calls measured ~10% slower through a worker thread).
 */
export const minBinaryItemsBytes = 2048;

/**
 * A batch's items as they should cross into the guest: binary JSON when the module reads it
 * (`binary`), the items are plain data and they are large enough to pay, else JSON text.
 */
export function encodeItems(items: readonly unknown[], binary: boolean): string | Uint8Array {
  const encoded = binary ? encodeBinaryJson(items, Math.min(256 * items.length + 1024, 1 << 24)) : undefined;
  return encoded !== undefined && encoded.length >= minBinaryItemsBytes ? encoded : JSON.stringify(items);
}

/** `text` as a binary JSON string: its UTF-16 code units, as `newString` never copies them. */
export function encodeBinaryString(text: string): Uint8Array {
  const wide = wideChars.test(text);
  const units = (text.length << 1) | (wide ? 1 : 0);
  const out = Buffer.allocUnsafeSlow(3 + leb128Bytes(units) + (wide ? text.length * 2 : text.length));
  out[0] = binaryJsonVersion;
  out[1] = 0;
  out[2] = Tag.String;
  let at = 3;
  for (let rest = units >>> 0; ; rest >>>= 7) {
    if (rest < 0x80) {
      out[at++] = rest;
      break;
    }
    out[at++] = (rest & 0x7f) | 0x80;
  }
  out.write(text, at, wide ? 'utf16le' : 'latin1');
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

function leb128Bytes(value: number): number {
  let bytes = 1;
  for (let rest = value >>> 7; rest > 0; rest >>>= 7) bytes++;
  return bytes;
}
