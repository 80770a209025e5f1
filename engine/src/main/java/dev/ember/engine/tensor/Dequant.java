package dev.ember.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar block decoders: the reference definition of what every stored element means, in GGML's
 * block layouts. Every faster decoder (the Vector API kernels, panel dequantization) must produce
 * exactly the same floats, so each formula here is written as the precise sequence of IEEE float
 * operations that defines the value (for example Q4_K is {@code d1 * q - m1}, a multiply then a
 * subtract, never fused).
 *
 * <p>The decoders of the types Ember had first live here; {@link LegacyQuants}, {@link KQuants} and
 * {@link NonLinearQuants} hold the others. {@link TensorType#format()} is the table that names
 * each type's decoder.
 *
 * <p>Layouts (all little-endian, as in ggml):
 * <ul>
 *   <li>Q8_0: f16 d, then 32 int8 q; value {@code q * d}.</li>
 *   <li>Q4_0: f16 d, then 16 bytes; low nibbles are elements 0..15, high nibbles 16..31; value
 *       {@code (q - 8) * d}, computed as {@code fma(q, d, -8d)} (the same number).</li>
 *   <li>Q4_K (256 elements): f16 d, f16 dmin, 12 bytes of packed 6-bit scales and mins, 128 bytes
 *       of nibbles; each 64-element group uses two (scale, min) pairs.</li>
 *   <li>Q6_K (256 elements): ql[128] low nibbles, qh[64] high 2-bit pairs, int8 scales[16], f16 d.</li>
 * </ul>
 */
public final class Dequant {
    public static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat LE_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Dequant() {}

    /** True for the types that can be weights of a matmul (all but integer lookup tables). */
    public static boolean supports(TensorType type) {
        return type.format().isWeight();
    }

    /** Decodes {@code k} elements of a row starting at byte {@code offset} of {@code data} into {@code dst[off..off+k)}. */
    public static void row(TensorType type, MemorySegment data, long offset, int k, float[] dst, int off) {
        if (!type.format().isWeight()) throw new UnsupportedOperationException(type + " is not a float or quantized weight type");
        type.format().dequantizeRow(data, offset, k, dst, off);
    }

    /** Row {@code row} of {@code w}, dequantized into {@code dst[off .. off + w.cols())}. */
    public static void row(WeightMatrix w, int row, float[] dst, int off) {
        if (w.interleaved()) {
            Interleaved.row(w, row, dst, off);
            return;
        }
        row(w.type(), w.data(), w.rowBytes() * row, w.cols(), dst, off);
    }

    /** Elements per block of the matmul reduction order ({@link #blockRow}). */
    public static final int MATMUL_BLOCK = 32;

    /**
     * Row {@code row} of {@code w} in the form the matmul reduction order uses: per 32-element
     * block, the stored values, one scale and (for the types with mins) one min, so that a dot
     * product is, over blocks b in order,
     * <pre>
     *   s = 0; s = fma(value[i], x[i], s) for the block's i in order
     *   acc = fma(scale[b], s, acc)
     *   acc = fma(min[b], blockInputSum(x, block b), acc)     (only if hasBlockMins)
     * </pre>
     * Values are exact small integers for the quantized types with a kernel layout: Q8_0's int8
     * q, Q4_0's {@code q - 8}, Q4_K's and Q5_K's q with scale {@code d * sc} and min
     * {@code -(dmin * m)} of the 32-element group, Q6_K's {@code sc * (q - 32)} (its 16-element
     * scales folded into the value) with scale d. Every other type gives its dequantized weights
     * with scale 1. Applying the scale once per block instead of once per weight is what lets the
     * quantized kernels run at one fused multiply-add per weight; the min term is one more FMA
     * per block, against a per-token sum that every row shares. Q4_0, Q4_K, Q5_K and Q6_K matmuls
     * read x as int8 blocks with a scale each (the kernels' {@code ActivationQuant}, as llama.cpp's
     * Q8_0 and Q8_K activations), which makes s an exact integer; it is then multiplied by the
     * input block's scale before the {@code acc} step, and so is the min term's input sum of the
     * integers.
     */
    public static void blockRow(WeightMatrix w, int row, float[] values, float[] scales, float[] mins) {
        int k = w.cols();
        int blocks = (k + MATMUL_BLOCK - 1) / MATMUL_BLOCK;
        if (w.interleaved()) {
            Interleaved.blockRow(w, row, values, scales, mins);
            return;
        }
        MemorySegment data = w.data();
        long offset = w.rowBytes() * row;
        switch (w.type()) {
            case Q8_0 -> {
                for (int b = 0; b < blocks; b++) {
                    long block = offset + 34L * b;
                    scales[b] = f16(data, block);
                    for (int i = 0; i < 32; i++) values[32 * b + i] = data.get(ValueLayout.JAVA_BYTE, block + 2 + i);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < blocks; b++) {
                    long block = offset + 18L * b;
                    scales[b] = f16(data, block);
                    for (int i = 0; i < 16; i++) {
                        int q = data.get(ValueLayout.JAVA_BYTE, block + 2 + i) & 0xFF;
                        values[32 * b + i] = (q & 0xF) - 8;
                        values[32 * b + i + 16] = (q >>> 4) - 8;
                    }
                }
            }
            case Q4_K, Q5_K, Q6_K -> {
                int[] q = new int[256];
                float[] sc = new float[8], mn = new float[8];
                int bb = w.type().blockBytes();
                for (int sb = 0; sb < k / 256; sb++) {
                    superBlock(w.type(), data, offset + (long) bb * sb, q, sc, mn);
                    for (int e = 0; e < 256; e++) values[256 * sb + e] = q[e];
                    System.arraycopy(sc, 0, scales, 8 * sb, 8);
                    System.arraycopy(mn, 0, mins, 8 * sb, 8);
                }
            }
            default -> {
                row(w.type(), data, offset, k, values, 0);
                java.util.Arrays.fill(scales, 0, blocks, 1f);
            }
        }
    }

    /** True for the types whose {@link #blockRow} has a min term per block (Q4_K, Q5_K). */
    public static boolean hasBlockMins(TensorType type) {
        return type == TensorType.Q4_K || type == TensorType.Q5_K;
    }

    /** The input sum the min term multiplies: {@code s = 0; s += x[off + i]} for i < len, in order. */
    public static float blockInputSum(float[] x, int off, int len) {
        float s = 0f;
        for (int i = 0; i < len; i++) s += x[off + i];
        return s;
    }

    /**
     * One K-quant super-block (256 elements) at {@code block} in {@link #blockRow}'s form: the
     * integer values {@code q[256]} and the eight 32-element groups' scales and mins (mins 0 for
     * Q6_K). The quantization packers ({@link Interleaved}) read the same numbers, so this is the
     * one place that says what a K-quant block means in the reduction order.
     */
    static void superBlock(TensorType type, MemorySegment data, long block, int[] q, float[] sc, float[] mn) {
        switch (type) {
            case Q4_K, Q5_K -> {
                float d = f16(data, block), dmin = f16(data, block + 2);
                long scales = block + 4;
                for (int j = 0; j < 8; j++) {
                    sc[j] = d * q4kScale(data, scales, j);
                    mn[j] = -(dmin * q4kMin(data, scales, j));
                }
                for (int e = 0; e < 256; e++) q[e] = kQuant(type, data, block, e);
            }
            case Q6_K -> {
                float d = f16(data, block + 208);
                java.util.Arrays.fill(sc, d);
                java.util.Arrays.fill(mn, 0f);
                for (int e = 0; e < 256; e++) q[e] = data.get(ValueLayout.JAVA_BYTE, block + 192 + e / 16) * (kQuant(type, data, block, e) - 32);
            }
            default -> throw new IllegalArgumentException(type + " is not a K-quant with a kernel layout");
        }
    }

    /**
     * The unsigned quant of element e (0..255) of a Q4_K (4 bits), Q5_K (5 bits) or Q6_K (6 bits)
     * super-block at {@code block}, before any scale, offset or min.
     */
    public static int kQuant(TensorType type, MemorySegment data, long block, int e) {
        int j = e / 32, l = e % 32;
        return switch (type) {
            case Q4_K -> (data.get(ValueLayout.JAVA_BYTE, block + 16 + 32L * (j / 2) + l) & 0xFF) >>> (4 * (j % 2)) & 0xF;
            case Q5_K -> ((data.get(ValueLayout.JAVA_BYTE, block + 48 + 32L * (j / 2) + l) & 0xFF) >>> (4 * (j % 2)) & 0xF)
                    | ((data.get(ValueLayout.JAVA_BYTE, block + 16 + l) & 0xFF) >>> j & 1) << 4;
            case Q6_K -> {
                int h = e / 128, quarter = (e % 128) / 32; // ggml: ql nibble (quarter & 2) ? high : low, of ql[64h + l + 32 (quarter & 1)]
                int lo = (data.get(ValueLayout.JAVA_BYTE, block + 64L * h + l + 32 * (quarter & 1)) & 0xFF) >>> (4 * (quarter >> 1)) & 0xF;
                int hi = (data.get(ValueLayout.JAVA_BYTE, block + 128 + 32L * h + l) & 0xFF) >>> (2 * quarter) & 3;
                yield lo | hi << 4;
            }
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    public static float f16(MemorySegment data, long offset) {
        return Float.float16ToFloat(data.get(LE_SHORT, offset));
    }

    static void q8_0(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block);
        for (int i = 0; i < 32; i++) dst[off + i] = data.get(ValueLayout.JAVA_BYTE, block + 2 + i) * d;
    }

    static void q4_0(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block);
        float m8d = -8f * d;
        for (int i = 0; i < 16; i++) {
            int b = data.get(ValueLayout.JAVA_BYTE, block + 2 + i) & 0xFF;
            // q*d - 8d equals (q - 8)*d exactly (d has 11 significant bits, |q - 8| <= 8, so every
            // product is exact); the fused form is what the vector kernels compute. It differs from
            // ggml's (q - 8)*d only in the sign of a zero when d < 0.
            dst[off + i] = Math.fma((float) (b & 0xF), d, m8d);
            dst[off + i + 16] = Math.fma((float) (b >>> 4), d, m8d);
        }
    }

    /** The 6-bit scale of group j (j < 8) of Q4_K's packed 12-byte table (ggml's get_scale_min_k4, first output). */
    public static int q4kScale(MemorySegment data, long scales, int j) {
        if (j < 4) return data.get(ValueLayout.JAVA_BYTE, scales + j) & 63;
        int lo = data.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 0xF;
        int hi = (data.get(ValueLayout.JAVA_BYTE, scales + j - 4) & 0xFF) >>> 6;
        return lo | (hi << 4);
    }

    /** The 6-bit min of group j (j < 8) of Q4_K's packed table (ggml's get_scale_min_k4, second output). */
    public static int q4kMin(MemorySegment data, long scales, int j) {
        if (j < 4) return data.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 63;
        int lo = (data.get(ValueLayout.JAVA_BYTE, scales + j + 4) & 0xFF) >>> 4;
        int hi = (data.get(ValueLayout.JAVA_BYTE, scales + j) & 0xFF) >>> 6;
        return lo | (hi << 4);
    }

    static void q4_K(MemorySegment data, long block, float[] dst, int off) {
        float d = f16(data, block);
        float dmin = f16(data, block + 2);
        long scales = block + 4;
        long qs = block + 16;
        for (int g = 0; g < 4; g++) { // four groups of 64 elements, 32 bytes of nibbles each
            float d1 = d * q4kScale(data, scales, 2 * g);
            float m1 = dmin * q4kMin(data, scales, 2 * g);
            float d2 = d * q4kScale(data, scales, 2 * g + 1);
            float m2 = dmin * q4kMin(data, scales, 2 * g + 1);
            int base = off + 64 * g;
            for (int l = 0; l < 32; l++) {
                int b = data.get(ValueLayout.JAVA_BYTE, qs + 32L * g + l) & 0xFF;
                dst[base + l] = d1 * (b & 0xF) - m1;
                dst[base + 32 + l] = d2 * (b >>> 4) - m2;
            }
        }
    }

    static void q6_K(MemorySegment data, long block, float[] dst, int off) {
        long ql = block;
        long qh = block + 128;
        long sc = block + 192;
        float d = f16(data, block + 208);
        for (int h = 0; h < 2; h++) { // two halves of 128 elements
            long qlh = ql + 64L * h;
            long qhh = qh + 32L * h;
            long sch = sc + 8L * h;
            int base = off + 128 * h;
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int lo0 = data.get(ValueLayout.JAVA_BYTE, qlh + l) & 0xFF;
                int lo1 = data.get(ValueLayout.JAVA_BYTE, qlh + l + 32) & 0xFF;
                int hi = data.get(ValueLayout.JAVA_BYTE, qhh + l) & 0xFF;
                int q1 = ((lo0 & 0xF) | ((hi & 3) << 4)) - 32;
                int q2 = ((lo1 & 0xF) | (((hi >>> 2) & 3) << 4)) - 32;
                int q3 = ((lo0 >>> 4) | (((hi >>> 4) & 3) << 4)) - 32;
                int q4 = ((lo1 >>> 4) | (((hi >>> 6) & 3) << 4)) - 32;
                dst[base + l] = (d * data.get(ValueLayout.JAVA_BYTE, sch + is)) * q1;
                dst[base + l + 32] = (d * data.get(ValueLayout.JAVA_BYTE, sch + is + 2)) * q2;
                dst[base + l + 64] = (d * data.get(ValueLayout.JAVA_BYTE, sch + is + 4)) * q3;
                dst[base + l + 96] = (d * data.get(ValueLayout.JAVA_BYTE, sch + is + 6)) * q4;
            }
        }
    }
}
