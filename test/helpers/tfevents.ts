// Reads TensorBoard event files (TFRecord framing + the Event/Summary protobufs) far enough to list scalar summaries.
import * as fs from "node:fs";

/** One scalar a summary writer wrote. */
export interface ScalarEvent {
  tag: string;
  step: number;
  value: number;
}

/** Protobuf fields of one message: field number -> values (numbers for varint/fixed, byte arrays for length-delimited). */
function fields(b: Uint8Array): Map<number, (number | bigint | Uint8Array)[]> {
  const out = new Map<number, (number | bigint | Uint8Array)[]>();
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const byte = b[p++];
      v |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return v;
      shift += 7n;
    }
  };
  while (p < b.length) {
    const key = Number(varint());
    const [field, wire] = [key >>> 3, key & 7];
    let value: number | bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = view.getFloat64(p, true);
      p += 8;
    } else if (wire === 2) {
      const n = Number(varint());
      value = b.subarray(p, p + n);
      p += n;
    } else if (wire === 5) {
      value = view.getFloat32(p, true);
      p += 4;
    } else throw new Error(`unsupported protobuf wire type ${wire}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

/** Every scalar in a TensorBoard event file: Summary.Value.simple_value, or a float tensor's single value. */
export function readScalars(file: string): ScalarEvent[] {
  const buf = fs.readFileSync(file);
  const out: ScalarEvent[] = [];
  for (let p = 0; p < buf.length;) {
    // TFRecord: uint64 length, uint32 masked CRC of the length, the data, uint32 masked CRC of the data.
    const n = Number(buf.readBigUInt64LE(p));
    const event = fields(buf.subarray(p + 12, p + 12 + n));
    p += 12 + n + 4;
    const step = Number((event.get(2)?.[0] as bigint | undefined) ?? 0n);
    for (const summary of (event.get(5) ?? []) as Uint8Array[]) {
      for (const v of (fields(summary).get(1) ?? []) as Uint8Array[]) {
        const value = fields(v);
        const tag = Buffer.from(value.get(1)![0] as Uint8Array).toString("utf8");
        let x = value.get(2)?.[0] as number | undefined;
        if (x === undefined && value.get(8)) {
          const tensor = fields(value.get(8)![0] as Uint8Array);
          const floats = tensor.get(5)?.[0];
          if (floats instanceof Uint8Array) x = new DataView(floats.buffer, floats.byteOffset).getFloat32(0, true);
          else if (typeof floats === "number") x = floats;
          else {
            const content = tensor.get(4)?.[0] as Uint8Array | undefined;
            if (content) x = new DataView(content.buffer, content.byteOffset).getFloat32(0, true);
          }
        }
        if (x !== undefined) out.push({ tag, step, value: x });
      }
    }
  }
  return out;
}
