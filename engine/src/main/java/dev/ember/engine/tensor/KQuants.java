package dev.ember.engine.tensor;

import static dev.ember.engine.tensor.Dequant.f16;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Q2_K, Q3_K and Q5_K: ggml's 256-element super-blocks (Q4_K and Q6_K are in {@link Dequant}).
 * Each decoder is gguf-py's {@code dequantize_blocks} written element by element, with the same
 * float operations in the same order (a scale product {@code d * sc} first, then the quant).
 *
 * <ul>
 *   <li>Q2_K (84 bytes): scales[16] (low nibble scale, high nibble min of each 16-element group),
 *       qs[64] (2-bit quants), f16 d, f16 dmin. Element e = 128h + 32s + l is
 *       {@code (qs[32h + l] >> 2s) & 3}; value {@code (d * sc) * q - dmin * m}.</li>
 *   <li>Q3_K (110 bytes): hmask[32], qs[64], scales[12] (sixteen 6-bit scales), f16 d. Element e
 *       has low bits as Q2_K's and high bit {@code (hmask[e % 32] >> e / 32) & 1}; the quant is
 *       {@code low - 4} when that bit is clear; value {@code (d * (scale - 32)) * q}.</li>
 *   <li>Q5_K (176 bytes): f16 d, f16 dmin, Q4_K's 12-byte scale/min table, qh[32], qs[128].
 *       Element e = 64g + 32n + l is {@code ((qs[32g + l] >> 4n) & 15) | (((qh[l] >> e / 32) & 1) << 4)};
 *       value {@code (d * sc) * q - dmin * m} per 32-element group.</li>
 * </ul>
 */
final class KQuants {
    private KQuants() {}

    private static int b(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static void q2_K(MemorySegment data, long block, float[] dst, int off) {
        long scales = block, qs = block + 16;
        float d = f16(data, block + 80), dmin = f16(data, block + 82);
        for (int e = 0; e < 256; e++) {
            int sc = b(data, scales + e / 16);
            float dl = d * (sc & 0xF);
            float ml = dmin * (sc >>> 4);
            int h = e / 128, s = (e / 32) % 4, l = e % 32;
            int q = (b(data, qs + 32L * h + l) >>> (2 * s)) & 3;
            dst[off + e] = dl * q - ml;
        }
    }

    /** The signed 6-bit scale j (0..15) of Q3_K's 12-byte table, minus 32. */
    static int q3kScale(MemorySegment data, long scales, int j) {
        int lo = (b(data, scales + j % 8) >>> (4 * (j / 8))) & 0xF;
        int hi = (b(data, scales + 8 + j % 4) >>> (2 * (j / 4))) & 3;
        return (lo | hi << 4) - 32;
    }

    static void q3_K(MemorySegment data, long block, float[] dst, int off) {
        long hmask = block, qs = block + 32, scales = block + 96;
        float d = f16(data, block + 108);
        for (int e = 0; e < 256; e++) {
            float dl = d * q3kScale(data, scales, e / 16);
            int h = e / 128, s = (e / 32) % 4, l = e % 32;
            int low = (b(data, qs + 32L * h + l) >>> (2 * s)) & 3;
            int high = (b(data, hmask + l) >>> (e / 32)) & 1;
            dst[off + e] = dl * (low - (high == 0 ? 4 : 0));
        }
    }

    static void q5_K(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block), dmin = f16(data, block + 2);
        long scales = block + 4, qh = block + 16, qs = block + 48;
        for (int e = 0; e < 256; e++) {
            int j = e / 32; // 32-element group: scale/min j of the Q4_K table
            float dl = d * Dequant.q4kScale(data, scales, j);
            float ml = dmin * Dequant.q4kMin(data, scales, j);
            int g = e / 64, n = j % 2, l = e % 32;
            int q = ((b(data, qs + 32L * g + l) >>> (4 * n)) & 0xF) | (((b(data, qh + l) >>> j) & 1) << 4);
            dst[off + e] = dl * q - ml;
        }
    }
}
