package dev.ember.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Encoders from float to the on-disk element types (the encoders of F32, F16, BF16, Q8_0 and Q4_0
 * are here; {@link LegacyQuants} and {@link NonLinearQuants} hold Q4_1, Q5_0, Q5_1 and MXFP4).
 *
 * <p>The quantizers follow ggml's reference quantizers ({@code quantize_row_q8_0_ref},
 * {@code quantize_row_q4_0_ref}) bit for bit, including their float (not double) arithmetic and
 * C rounding, so a file written here holds the same bytes llama-quantize would write from the
 * same floats and the dequantizers decode it the way they decode llama.cpp's files.
 *
 * <p>Block layouts (little-endian): Q8_0 is an F16 scale {@code d} then 32 signed bytes, value
 * {@code d * q}. Q4_0 is an F16 scale then 16 bytes; byte {@code j} holds element {@code j} in its
 * low nibble and element {@code j + 16} in its high nibble, value {@code d * (nibble - 8)}.
 *
 * <p>Inputs must be finite; NaN and infinity give unspecified blocks (as in ggml).
 */
public final class Quantize {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int QK = 32;

    private Quantize() {}

    /** IEEE half precision, round to nearest even (what F16C's {@code vcvtps2ph} with mode 0 and ggml's fallback do). */
    public static short f16(float x) {
        return Float.floatToFloat16(x);
    }

    /**
     * bfloat16, round to nearest even; NaN stays NaN (quiet) and subnormals are kept, as in
     * current ggml's {@code ggml_compute_fp32_to_bf16}.
     */
    public static short bf16(float x) {
        int u = Float.floatToRawIntBits(x);
        if ((u & 0x7fffffff) > 0x7f800000) return (short) ((u >>> 16) | 64);
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /**
     * Encodes {@code n} floats from {@code src[srcOff..]} as {@code type} into {@code dst} at
     * {@code dstOff}, writing {@code type.bytesFor(n)} bytes. {@code n} must be a multiple of the
     * type's block size.
     */
    public static void encode(TensorType type, float[] src, int srcOff, int n, MemorySegment dst, long dstOff) {
        if (srcOff < 0 || n < 0 || srcOff + n > src.length || srcOff + n < 0) {
            throw new IndexOutOfBoundsException("source range " + srcOff + "+" + n + " of " + src.length + " floats");
        }
        long bytes = type.bytesFor(n); // also rejects n that is not a multiple of the block size
        if (dstOff < 0 || dstOff + bytes > dst.byteSize()) {
            throw new IndexOutOfBoundsException("destination range " + dstOff + "+" + bytes + " of " + dst.byteSize() + " bytes");
        }
        BlockFormat.Encoder encoder = type.format().encoder();
        if (encoder == null) {
            throw new UnsupportedOperationException("no encoder for " + type + " (supported: " + encodable() + ")");
        }
        encoder.encode(src, srcOff, n, dst, dstOff);
    }

    /** The types {@link #encode} can write, for messages ("F32, F16, ..."). */
    public static String encodable() {
        return java.util.Arrays.stream(TensorType.values()).filter(Quantize::canEncode).map(Enum::name)
                .collect(java.util.stream.Collectors.joining(", "));
    }

    /** Encodes all of {@code src} as {@code type} into a new array. */
    public static byte[] encode(TensorType type, float[] src) {
        byte[] out = new byte[Math.toIntExact(type.bytesFor(src.length))];
        encode(type, src, 0, src.length, MemorySegment.ofArray(out), 0);
        return out;
    }

    /** True for the types {@link #encode} can write. */
    public static boolean canEncode(TensorType type) {
        return type.format().canEncode() && type.format().isWeight(); // I32 tables are encoded, but are no weight type
    }

    static void q8_0(float[] x, int off, int n, MemorySegment dst, long pos) {
        byte[] qs = new byte[QK];
        for (int b = 0; b < n / QK; b++, off += QK, pos += 34) {
            float amax = 0f;
            for (int j = 0; j < QK; j++) amax = Math.max(amax, Math.abs(x[off + j]));
            float d = amax / 127;
            float id = d != 0f ? 1.0f / d : 0.0f;
            // The scale stored is d rounded to F16, but the quants are computed from the unrounded
            // d, exactly as ggml does; recomputing them from the rounded scale would differ.
            dst.set(SHORT, pos, f16(d));
            for (int j = 0; j < QK; j++) qs[j] = (byte) roundf(x[off + j] * id);
            MemorySegment.copy(qs, 0, dst, ValueLayout.JAVA_BYTE, pos + 2, QK);
        }
    }

    /** The first element of largest magnitude in {@code x[off .. off + n)}, with its sign (ggml's Q4_0/Q5_0 scale source). */
    static float signedMaxMagnitude(float[] x, int off, int n) {
        float amax = 0f, max = 0f;
        for (int j = 0; j < n; j++) {
            float v = x[off + j];
            if (amax < Math.abs(v)) {
                amax = Math.abs(v);
                max = v;
            }
        }
        return max;
    }

    static void q4_0(float[] x, int off, int n, MemorySegment dst, long pos) {
        byte[] qs = new byte[QK / 2];
        for (int b = 0; b < n / QK; b++, off += QK, pos += 18) {
            // ggml scales by the element of largest magnitude with its sign, so that element maps
            // to -8 exactly and the asymmetric range [-8, 7] is used in full on its side.
            float d = signedMaxMagnitude(x, off, QK) / -8;
            float id = d != 0f ? 1.0f / d : 0.0f;
            dst.set(SHORT, pos, f16(d));
            for (int j = 0; j < QK / 2; j++) {
                float x0 = x[off + j] * id;
                float x1 = x[off + QK / 2 + j] * id;
                // C's (int8_t) conversion truncates toward zero, as Java's (int) does.
                int xi0 = Math.min(15, (int) (x0 + 8.5f));
                int xi1 = Math.min(15, (int) (x1 + 8.5f));
                qs[j] = (byte) (xi0 | (xi1 << 4));
            }
            MemorySegment.copy(qs, 0, dst, ValueLayout.JAVA_BYTE, pos + 2, QK / 2);
        }
    }

    /**
     * C's {@code roundf}: halfway cases away from zero (Math.round rounds -2.5 to -2). Done in
     * double, where {@code |v| + 0.5} is exact for every float below 2^24, so 0.49999997f rounds
     * to 0 as in C rather than to 1.
     */
    static int roundf(float v) {
        int q = (int) (Math.abs((double) v) + 0.5); // truncation is floor for non-negative values
        return v < 0 ? -q : q;
    }
}
