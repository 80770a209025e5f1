package dev.ember.engine.tensor;

import static dev.ember.engine.tensor.Dequant.f16;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Types whose 4-bit codes index a fixed table of values instead of being integers on a grid:
 * IQ4_NL and IQ4_XS (the non-linear table {@code kvalues_iq4nl}) and MXFP4 (OCP microscaling
 * E2M1 codes, stored doubled, with a power-of-two E8M0 scale halved to match).
 *
 * <ul>
 *   <li>IQ4_NL (18 bytes): f16 d, qs[16] (element j low nibble, j + 16 high); value {@code d * kv[q]}.</li>
 *   <li>IQ4_XS (136 bytes, 256 elements): f16 d, u16 scales_h, scales_l[4], qs[128]; group j (32
 *       elements) has the 6-bit scale {@code ls = (scales_l[j/2] >> 4(j%2) & 15) | ((scales_h >> 2j) & 3) << 4},
 *       and its element i is nibble {@code i / 16} of {@code qs[16j + i % 16]}; value {@code (d * (ls - 32)) * kv[q]}.</li>
 *   <li>MXFP4 (17 bytes): u8 e (E8M0), qs[16] (element j low nibble, j + 16 high); value
 *       {@code e8m0_half(e) * kv_fp4[q]}.</li>
 * </ul>
 */
final class NonLinearQuants {
    private NonLinearQuants() {}

    /** ggml's kvalues_iq4nl. */
    static final byte[] IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    /** ggml's kvalues_mxfp4: E2M1 values times two. */
    static final byte[] FP4 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private static int b(MemorySegment data, long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    static void iq4_nl(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block);
        for (int j = 0; j < 16; j++) {
            int q = b(data, block + 2 + j);
            dst[off + j] = d * IQ4NL[q & 0xF];
            dst[off + j + 16] = d * IQ4NL[q >>> 4];
        }
    }

    static void iq4_xs(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block);
        int scalesH = data.get(Dequant.LE_SHORT, block + 2) & 0xFFFF;
        for (int j = 0; j < 8; j++) {
            int ls = ((b(data, block + 4 + j / 2) >>> (4 * (j % 2))) & 0xF) | ((scalesH >>> (2 * j)) & 3) << 4;
            float dl = d * (ls - 32);
            long qs = block + 8 + 16L * j;
            for (int i = 0; i < 16; i++) {
                int q = b(data, qs + i);
                dst[off + 32 * j + i] = dl * IQ4NL[q & 0xF];
                dst[off + 32 * j + 16 + i] = dl * IQ4NL[q >>> 4];
            }
        }
    }

    /** ggml's GGML_E8M0_TO_FP32_HALF: 2^(e - 128), exact (subnormal for e < 2). */
    static float e8m0Half(int e) {
        int bits = e < 2 ? 0x00200000 << e : (e - 1) << 23;
        return Float.intBitsToFloat(bits);
    }

    static void mxfp4(MemorySegment data, long block, float[] dst, int off) {
        float d = e8m0Half(b(data, block));
        for (int j = 0; j < 16; j++) {
            int q = b(data, block + 1 + j);
            dst[off + j] = d * FP4[q & 0xF];
            dst[off + j + 16] = d * FP4[q >>> 4];
        }
    }

    /**
     * ggml's quantize_row_mxfp4_ref: the shared exponent is {@code floor(log2(amax)) - 2} (so the
     * largest element lands near the top code, 6 = 12 halved), then each element takes the code of
     * least absolute error, the first on ties. {@code log2f} is computed in double and rounded to
     * float, which is what a correctly rounded log2f gives.
     */
    static void encodeMxfp4(float[] x, int off, MemorySegment dst, long block) {
        float amax = 0f;
        for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + j]));
        int e = amax > 0f ? ((int) (Math.floor((float) (Math.log(amax) / Math.log(2.0))) - 2 + 127)) & 0xFF : 0;
        float d = e8m0Half(e);
        dst.set(ValueLayout.JAVA_BYTE, block, (byte) e);
        for (int j = 0; j < 16; j++) {
            int q0 = bestFp4(x[off + j], d), q1 = bestFp4(x[off + 16 + j], d);
            dst.set(ValueLayout.JAVA_BYTE, block + 1 + j, (byte) (q0 | q1 << 4));
        }
    }

    private static int bestFp4(float x, float d) {
        int best = 0;
        float bestErr = Math.abs(FP4[0] * d - x);
        for (int i = 1; i < 16; i++) {
            float err = Math.abs(FP4[i] * d - x);
            if (err < bestErr) {
                best = i;
                bestErr = err;
            }
        }
        return best;
    }
}
