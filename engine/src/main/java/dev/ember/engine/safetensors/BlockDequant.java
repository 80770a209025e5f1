package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tensor.TensorType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The block-scaled low-precision formats of DeepSeek's released checkpoints, decoded to floats:
 * <ul>
 *   <li><b>FP8</b>: an {@code F8_E4M3} weight {@code [out, in]} with one scale per block of
 *       {@code quantization_config.weight_block_size} (128×128 by default), stored beside it as
 *       {@code X.scale} (DeepSeek's name) or {@code X.weight_scale_inv} (transformers'
 *       FineGrainedFP8 name), shape {@code [ceil(out/128), ceil(in/128)]}: the last block of a
 *       dimension that is not a multiple of 128 is partial. A single-element scale covers the
 *       whole tensor.</li>
 *   <li><b>MXFP4</b> (DeepSeek-V4's routed experts): an {@code I8}/{@code U8} weight
 *       {@code [out, in/2]}, two E2M1 nibbles per byte (low nibble = even column), and
 *       {@code X.scale} {@code [out, in/32]}.</li>
 * </ul>
 * Scales are {@code F8_E8M0} (a power of two, {@code 2^(s-127)}) or plain floats (F32, BF16,
 * F16); value = decoded element × its block's scale.
 *
 * <p>This is a first step: {@link TensorPlanner} turns such tensors into dequantized copies at
 * load (BF16 when the scales are powers of two, which is exact since E4M3 and E2M1 values have at
 * most 3 significant bits; F32 otherwise), so every kernel can use them. The follow-up is a native
 * block type in {@code tensor/} and {@code kernels/} that keeps them at 1 byte (FP8) or 4.25 bits
 * (MXFP4) per weight instead of 2 or 4.
 */
final class BlockDequant {
    enum Format { FP8, MXFP4 }

    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** DeepSeek's FP8 block when config.json does not say. */
    static final int DEFAULT_FP8_BLOCK = 128;
    /** MXFP4: one scale per 32 consecutive elements of a row. */
    static final int MXFP4_BLOCK = 32;

    private static final float[] E4M3 = new float[256];
    private static final float[] E2M1 = new float[16];
    private static final float[] E8M0 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            E4M3[b] = decodeE4M3(b);
            E8M0[b] = b == 255 ? Float.NaN : Math.scalb(1f, b - 127);
        }
        for (int n = 0; n < 16; n++) E2M1[n] = decodeE2M1(n);
    }

    private BlockDequant() {}

    /** OCP E4M3 ("e4m3fn"): 1 sign, 4 exponent (bias 7), 3 mantissa bits; no infinities, S.1111.111 is NaN; max 448. */
    private static float decodeE4M3(int b) {
        int exp = (b >>> 3) & 0xF;
        int man = b & 7;
        float v;
        if (exp == 0xF && man == 7) v = Float.NaN;
        else if (exp == 0) v = Math.scalb((float) man, -9); // subnormal: man/8 * 2^-6
        else v = Math.scalb(1f + man / 8f, exp - 7);
        return (b & 0x80) != 0 ? -v : v;
    }

    /** OCP E2M1: 1 sign, 2 exponent (bias 1), 1 mantissa bit: 0, 0.5, 1, 1.5, 2, 3, 4, 6. */
    private static float decodeE2M1(int n) {
        int exp = (n >>> 1) & 3;
        int man = n & 1;
        float v = exp == 0 ? 0.5f * man : Math.scalb(1f + man / 2f, exp - 1);
        return (n & 8) != 0 ? -v : v;
    }

    static float e4m3(int bits) { return E4M3[bits & 0xFF]; }

    static float e2m1(int nibble) { return E2M1[nibble & 0xF]; }

    static float e8m0(int bits) { return E8M0[bits & 0xFF]; }

    /**
     * One quantized matrix: {@code rows × cols} logical elements (for MXFP4, twice the stored
     * columns), with blocks of {@code blockRows × blockCols} sharing a scale.
     */
    record Matrix(String name, Format format, SafetensorsFile.Entry weight, SafetensorsFile.Entry scale,
                  long rows, long cols, long blockRows, long blockCols) {
        /** The logical shape in PyTorch order ({@code [rows, cols]}). */
        long[] shape() { return new long[] {rows, cols}; }

        /** BF16 holds every power-of-two-scaled E4M3/E2M1 value exactly; float scales need F32. */
        TensorType storedType() { return scale.dtype().equals("F8_E8M0") ? TensorType.BF16 : TensorType.F32; }

        /** Rows {@code first .. first + count - 1}, dequantized into {@code out[0 .. count * cols)}. */
        void fillRows(long first, int count, float[] out) {
            fillRows(first, count, out, 0);
        }

        void fillRows(long first, int count, float[] out, int outOff) {
            MemorySegment w = weight.data();
            long scaleCols = ceilDiv(cols, blockCols);
            int c = Math.toIntExact(cols);
            for (int r = 0; r < count; r++) {
                long row = first + r;
                long scaleRow = (row / blockRows) * scaleCols;
                int o = outOff + r * c;
                if (format == Format.FP8) {
                    long at = row * cols;
                    for (int j = 0; j < c; j++) {
                        out[o + j] = e4m3(w.get(ValueLayout.JAVA_BYTE, at + j)) * scaleAt(scaleRow + j / blockCols);
                    }
                } else {
                    long at = row * (cols / 2);
                    for (int j = 0; j < c; j += 2) {
                        int b = w.get(ValueLayout.JAVA_BYTE, at + j / 2);
                        float s = scaleAt(scaleRow + j / blockCols); // blockCols is even: both nibbles share it
                        out[o + j] = e2m1(b) * s;
                        out[o + j + 1] = e2m1(b >>> 4) * s;
                    }
                }
            }
        }

        private float scaleAt(long index) {
            MemorySegment s = scale.data();
            return switch (scale.dtype()) {
                case "F8_E8M0" -> e8m0(s.get(ValueLayout.JAVA_BYTE, index));
                case "F32" -> s.get(LE_FLOAT, 4 * index);
                case "BF16" -> Float.intBitsToFloat((s.get(LE_SHORT, 2 * index) & 0xFFFF) << 16);
                case "F16" -> Float.float16ToFloat(s.get(LE_SHORT, 2 * index));
                default -> throw new IllegalStateException(scale.dtype());
            };
        }
    }

    /** True for a weight stored in one of these formats (FP8 always; an 8-bit integer weight only beside a scale). */
    static boolean isQuantized(SafetensorsFile.Entry e, Map<String, SafetensorsFile.Entry> all) {
        return switch (e.dtype()) {
            case "F8_E4M3" -> true;
            case "I8", "U8" -> scaleName(e, all) != null;
            default -> false;
        };
    }

    /** The name of {@code weight}'s scale tensor, or null. */
    static String scaleName(SafetensorsFile.Entry weight, Map<String, SafetensorsFile.Entry> all) {
        String n = weight.name();
        if (!n.endsWith(".weight")) return null;
        String base = n.substring(0, n.length() - ".weight".length());
        for (String candidate : List.of(base + ".scale", n + "_scale_inv", n + "_scale")) {
            if (all.containsKey(candidate)) return candidate;
        }
        return null;
    }

    /**
     * The quantized matrix of {@code weight}, checked against its scale; {@code fp8Block} is
     * {@code quantization_config.weight_block_size} ({@code [rows, cols]}) or null for 128×128.
     */
    static Matrix of(SafetensorsFile.Entry weight, Map<String, SafetensorsFile.Entry> all, long[] fp8Block) {
        String scaleName = scaleName(weight, all);
        if (scaleName == null) {
            throw new ModelLoadException(weight.file() + ": tensor '" + weight.name() + "' is " + weight.dtype()
                    + " but has no scale tensor beside it (looked for " + stem(weight.name()) + ".scale and " + weight.name()
                    + "_scale_inv); the checkpoint is incomplete");
        }
        SafetensorsFile.Entry scale = all.get(scaleName);
        if (!List.of("F8_E8M0", "F32", "BF16", "F16").contains(scale.dtype())) {
            throw new ModelLoadException(scale.file() + ": scale tensor '" + scaleName + "' is " + scale.dtype()
                    + "; block scales must be F8_E8M0, F32, BF16 or F16");
        }
        long[] ws = weight.shape();
        if (ws.length != 2) {
            throw new ModelLoadException(weight.file() + ": quantized tensor '" + weight.name() + "' is " + Arrays.toString(ws)
                    + "; only 2-D weights can be block-quantized");
        }
        long[] ss = scale.shape();
        if (weight.dtype().equals("F8_E4M3")) {
            long rows = ws[0], cols = ws[1];
            long br, bc;
            if (scale.elements() == 1) {
                br = rows; // one scale for the whole tensor
                bc = cols;
            } else {
                br = fp8Block == null ? DEFAULT_FP8_BLOCK : fp8Block[0];
                bc = fp8Block == null ? DEFAULT_FP8_BLOCK : fp8Block[1];
                long[] want = {ceilDiv(rows, br), ceilDiv(cols, bc)};
                if (!Arrays.equals(ss, want)) {
                    throw new ModelLoadException(scale.file() + ": scale '" + scaleName + "' is " + Arrays.toString(ss) + ", but FP8 weight '"
                            + weight.name() + "' " + Arrays.toString(ws) + " in " + br + "x" + bc + " blocks needs " + Arrays.toString(want)
                            + " (the block size comes from quantization_config.weight_block_size in config.json)");
                }
            }
            return new Matrix(weight.name(), Format.FP8, weight, scale, rows, cols, br, bc);
        }
        long rows = ws[0], cols = 2 * ws[1];
        long[] want = {rows, ceilDiv(cols, MXFP4_BLOCK)};
        if (cols % MXFP4_BLOCK != 0 || !Arrays.equals(ss, want)) {
            throw new ModelLoadException(scale.file() + ": scale '" + scaleName + "' is " + Arrays.toString(ss) + ", but MXFP4 weight '"
                    + weight.name() + "' (" + weight.dtype() + " " + Arrays.toString(ws) + ", two E2M1 values per byte) needs "
                    + Arrays.toString(want) + ": one scale per " + MXFP4_BLOCK + " elements of a row");
        }
        return new Matrix(weight.name(), Format.MXFP4, weight, scale, rows, cols, 1, MXFP4_BLOCK);
    }

    private static String stem(String name) {
        return name.endsWith(".weight") ? name.substring(0, name.length() - ".weight".length()) : name;
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
