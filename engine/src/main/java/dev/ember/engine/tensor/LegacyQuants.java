package dev.ember.engine.tensor;

import static dev.ember.engine.tensor.Dequant.LE_SHORT;
import static dev.ember.engine.tensor.Dequant.f16;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q4_1, Q5_0 and Q5_1: ggml's 32-element blocks with an offset (min) or a fifth bit. Byte j of
 * {@code qs} holds element j in its low nibble and element j + 16 in its high nibble; Q5's fifth
 * bits are a little-endian uint32 {@code qh}, bit i for element i.
 *
 * <ul>
 *   <li>Q4_1 (20 bytes): f16 d, f16 m, qs[16]; value {@code d * q + m} (multiply, then add: not fused).</li>
 *   <li>Q5_0 (22 bytes): f16 d, qh[4], qs[16]; value {@code d * (q - 16)}.</li>
 *   <li>Q5_1 (24 bytes): f16 d, f16 m, qh[4], qs[16]; value {@code d * q + m}.</li>
 * </ul>
 * The encoders are ggml's {@code quantize_row_q4_1_ref}, {@code _q5_0_ref} and {@code _q5_1_ref}
 * in float arithmetic, as gguf-py's {@code quantize} does them.
 */
final class LegacyQuants {
    private LegacyQuants() {}

    private static int b(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    private static int qh(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), at);
    }

    static void q4_1(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block), m = f16(data, block + 2);
        for (int j = 0; j < 16; j++) {
            int q = b(data, block + 4 + j);
            dst[off + j] = d * (q & 0xF) + m;
            dst[off + j + 16] = d * (q >>> 4) + m;
        }
    }

    static void q5_0(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block);
        int qh = qh(data, block + 2);
        for (int j = 0; j < 16; j++) {
            int q = b(data, block + 6 + j);
            dst[off + j] = d * (((q & 0xF) | ((qh >>> j) & 1) << 4) - 16);
            dst[off + j + 16] = d * (((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) - 16);
        }
    }

    static void q5_1(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block), m = f16(data, block + 2);
        int qh = qh(data, block + 4);
        for (int j = 0; j < 16; j++) {
            int q = b(data, block + 8 + j);
            dst[off + j] = d * ((q & 0xF) | ((qh >>> j) & 1) << 4) + m;
            dst[off + j + 16] = d * ((q >>> 4) | ((qh >>> (j + 16)) & 1) << 4) + m;
        }
    }

    // ---- encoders ----

    /** min/max scale: {@code d = (max - min) / (2^bits - 1)}, quants {@code (int) ((x - min) / d + 0.5)} clamped. */
    private static int[] minMaxQuants(float[] x, int off, int levels, MemorySegment dst, long block) {
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (int j = 0; j < 32; j++) {
            float v = x[off + j];
            if (v < min) min = v;
            if (v > max) max = v;
        }
        float d = (max - min) / levels;
        float id = d != 0f ? 1.0f / d : 0.0f;
        dst.set(LE_SHORT, block, Quantize.f16(d));
        dst.set(LE_SHORT, block + 2, Quantize.f16(min));
        int[] q = new int[32];
        // (x - min) * id + 0.5 is never negative, so truncation is C's (uint8_t) conversion
        for (int j = 0; j < 32; j++) q[j] = Math.min(levels, (int) ((x[off + j] - min) * id + 0.5f));
        return q;
    }

    private static void packNibbles(int[] q, MemorySegment dst, long qs) {
        for (int j = 0; j < 16; j++) dst.set(ValueLayout.JAVA_BYTE, qs + j, (byte) ((q[j] & 0xF) | ((q[j + 16] & 0xF) << 4)));
    }

    private static void packFifthBits(int[] q, MemorySegment dst, long at) {
        int qh = 0;
        for (int j = 0; j < 32; j++) qh |= ((q[j] >>> 4) & 1) << j;
        dst.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN), at, qh);
    }

    static void encodeQ4_1(float[] x, int off, MemorySegment dst, long block) {
        packNibbles(minMaxQuants(x, off, 15, dst, block), dst, block + 4);
    }

    static void encodeQ5_1(float[] x, int off, MemorySegment dst, long block) {
        int[] q = minMaxQuants(x, off, 31, dst, block);
        packFifthBits(q, dst, block + 4);
        packNibbles(q, dst, block + 8);
    }

    static void encodeQ5_0(float[] x, int off, MemorySegment dst, long block) {
        // as Q4_0: the element of largest magnitude, with its sign, maps to -16
        float d = Quantize.signedMaxMagnitude(x, off, 32) / -16;
        float id = d != 0f ? 1.0f / d : 0.0f;
        dst.set(LE_SHORT, block, Quantize.f16(d));
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) q[j] = Math.min(31, (int) (x[off + j] * id + 16.5f));
        packFifthBits(q, dst, block + 2);
        packNibbles(q, dst, block + 6);
    }
}
