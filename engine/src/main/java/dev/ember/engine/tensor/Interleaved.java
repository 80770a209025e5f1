package dev.ember.engine.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The interleaved weight layouts: R rows stored together so that the R values of one input
 * element sit side by side. A kernel then loads one vector of R weights per input element and
 * multiplies it by that element broadcast to every lane (an outer product), so every output keeps
 * one plain accumulator and no horizontal sum is ever needed. Packing copies the matrix once at
 * load time into memory of the same size (plus the zero rows that pad the last group).
 *
 * <p>Group g holds rows {@code g*R .. g*R + R}; groups follow each other. Within a group:
 * <ul>
 *   <li>F32, F16, BF16: element k of row r at index {@code k*R + r} of the group.</li>
 *   <li>Q8_0, per 32-element block (34·R bytes): R f16 scales (row order), then for each element
 *       i &lt; 32 the R int8 values of rows 0..R-1.</li>
 *   <li>Q4_0, per 32-element block (18·R bytes): R f16 scales, then for each i &lt; 16 the R bytes
 *       of rows 0..R-1, whose low nibble is element 2i and high nibble element 2i+1 (GGUF's Q4_0
 *       keeps elements i and i+16 in one byte; pairing neighbours lets a kernel consume the
 *       elements in order).</li>
 * </ul>
 * Values mean exactly what {@link Dequant} says for the source block format.
 */
public final class Interleaved {
    private Interleaved() {}

    /** True when {@code type} has an interleaved layout. */
    public static boolean supports(TensorType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /** Bytes of one interleaved group of {@code r} rows of {@code cols} elements. */
    public static long groupBytes(TensorType type, int r, int cols) {
        return type.bytesFor((long) r * cols);
    }

    /**
     * {@code w} (row-major) copied into the interleaved layout with groups of {@code r} rows.
     * Groups are packed in parallel (the common fork-join pool), each through heap staging
     * arrays, so packing runs near memory speed (qwen3-0.6b Q8_0, 600 MiB: about a second).
     */
    public static WeightMatrix pack(WeightMatrix w, int r, Arena arena) {
        if (w.interleaved()) throw new IllegalArgumentException(w.name() + " is already interleaved");
        if (!supports(w.type())) throw new IllegalArgumentException(w.type() + " has no interleaved layout");
        int k = w.cols();
        int groups = (w.rows() + r - 1) / r;
        long gb = groupBytes(w.type(), r, k);
        MemorySegment dst = arena.allocate(gb * groups, 64);
        MemorySegment src = w.data();
        long rowBytes = w.rowBytes();
        java.util.stream.IntStream.range(0, groups).parallel().forEach(g -> {
            int rows = Math.min(r, w.rows() - g * r); // the rest of the last group stays zero
            packGroup(w.type(), src, rowBytes * g * r, (int) rowBytes, rows, r, k, dst, gb * g, (int) gb);
        });
        return new WeightMatrix(w.name(), w.type(), w.rows(), k, dst, r);
    }

    private static void packGroup(TensorType type, MemorySegment src, long srcOff, int rowBytes, int rows, int r, int k,
                                  MemorySegment dst, long dstOff, int groupBytes) {
        byte[] in = new byte[rowBytes * rows];
        MemorySegment.copy(src, ValueLayout.JAVA_BYTE, srcOff, in, 0, in.length);
        byte[] out = new byte[groupBytes];
        switch (type) {
            case F32, F16, BF16 -> {
                int es = type == TensorType.F32 ? 4 : 2;
                for (int row = 0; row < rows; row++) {
                    for (int i = 0; i < k; i++) System.arraycopy(in, row * rowBytes + es * i, out, es * (i * r + row), es);
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < k / 32; b++) {
                    int blk = 34 * r * b;
                    for (int row = 0; row < rows; row++) {
                        int s = row * rowBytes + 34 * b;
                        out[blk + 2 * row] = in[s];
                        out[blk + 2 * row + 1] = in[s + 1];
                        for (int i = 0; i < 32; i++) out[blk + 2 * r + i * r + row] = in[s + 2 + i];
                    }
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < k / 32; b++) {
                    int blk = 18 * r * b;
                    for (int row = 0; row < rows; row++) {
                        int s = row * rowBytes + 18 * b;
                        out[blk + 2 * row] = in[s];
                        out[blk + 2 * row + 1] = in[s + 1];
                        for (int i = 0; i < 16; i++) {
                            int lo = nibble(in, s + 2, 2 * i), hi = nibble(in, s + 2, 2 * i + 1);
                            out[blk + 2 * r + i * r + row] = (byte) (lo | hi << 4);
                        }
                    }
                }
            }
            default -> throw new IllegalArgumentException(type + " has no interleaved layout");
        }
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOff, groupBytes);
    }

    /** Element e (0..31) of a GGUF Q4_0 block's 16 bytes at {@code qs}. */
    private static int nibble(byte[] block, int qs, int e) {
        int b = block[qs + (e & 15)] & 0xFF;
        return e < 16 ? b & 0xF : b >>> 4;
    }


    /** Row {@code row} of an interleaved matrix as {@link Dequant#blockRow} defines it. */
    static void blockRow(WeightMatrix w, int row, float[] values, float[] scales) {
        int r = w.interleave();
        int k = w.cols();
        int blocks = (k + Dequant.MATMUL_BLOCK - 1) / Dequant.MATMUL_BLOCK;
        long base = groupBytes(w.type(), r, k) * (row / r);
        int lane = row % r;
        MemorySegment seg = w.data();
        switch (w.type()) {
            case Q8_0 -> {
                for (int b = 0; b < blocks; b++) {
                    long blk = base + 34L * r * b;
                    scales[b] = Dequant.f16(seg, blk + 2L * lane);
                    for (int i = 0; i < 32; i++) values[32 * b + i] = seg.get(ValueLayout.JAVA_BYTE, blk + 2L * r + (long) i * r + lane);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < blocks; b++) {
                    long blk = base + 18L * r * b;
                    scales[b] = Dequant.f16(seg, blk + 2L * lane);
                    for (int i = 0; i < 16; i++) {
                        int q = seg.get(ValueLayout.JAVA_BYTE, blk + 2L * r + (long) i * r + lane) & 0xFF;
                        values[32 * b + 2 * i] = (q & 0xF) - 8;
                        values[32 * b + 2 * i + 1] = (q >>> 4) - 8;
                    }
                }
            }
            default -> {
                row(w, row, values, 0);
                java.util.Arrays.fill(scales, 0, blocks, 1f);
            }
        }
    }

    /** Row {@code row} of an interleaved matrix, dequantized exactly as {@link Dequant} defines it. */
    public static void row(WeightMatrix w, int row, float[] dst, int off) {
        int r = w.interleave();
        int k = w.cols();
        long base = groupBytes(w.type(), r, k) * (row / r);
        int lane = row % r;
        MemorySegment seg = w.data();
        switch (w.type()) {
            case F32 -> { for (int i = 0; i < k; i++) dst[off + i] = seg.get(Dequant.LE_FLOAT, base + 4L * ((long) i * r + lane)); }
            case F16 -> { for (int i = 0; i < k; i++) dst[off + i] = Float.float16ToFloat(seg.get(Dequant.LE_SHORT, base + 2L * ((long) i * r + lane))); }
            case BF16 -> { for (int i = 0; i < k; i++) dst[off + i] = Dequant.bf16ToFloat(seg.get(Dequant.LE_SHORT, base + 2L * ((long) i * r + lane))); }
            case Q8_0 -> {
                for (int b = 0; b < k / 32; b++) {
                    long blk = base + 34L * r * b;
                    float d = Dequant.f16(seg, blk + 2L * lane);
                    for (int i = 0; i < 32; i++) dst[off + 32 * b + i] = seg.get(ValueLayout.JAVA_BYTE, blk + 2L * r + (long) i * r + lane) * d;
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < k / 32; b++) {
                    long blk = base + 18L * r * b;
                    float d = Dequant.f16(seg, blk + 2L * lane);
                    float m8d = -8f * d;
                    for (int i = 0; i < 16; i++) {
                        int q = seg.get(ValueLayout.JAVA_BYTE, blk + 2L * r + (long) i * r + lane) & 0xFF;
                        dst[off + 32 * b + 2 * i] = Math.fma((float) (q & 0xF), d, m8d);
                        dst[off + 32 * b + 2 * i + 1] = Math.fma((float) (q >>> 4), d, m8d);
                    }
                }
            }
            default -> throw new IllegalArgumentException(w.type() + " has no interleaved layout");
        }
    }
}
