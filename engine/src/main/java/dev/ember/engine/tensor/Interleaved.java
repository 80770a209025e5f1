package dev.ember.engine.tensor;

import dev.ember.engine.util.NativeMemory;
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
 *   <li>Q4_0, per 32-element block (18·R bytes): R f16 scales, then the 32 elements' nibbles
 *       (16·R bytes) in {@link #nibbleBit}'s order: per eight elements and per half of the rows,
 *       one little-endian 32-bit word per row whose low 16 bits hold the eight elements' even
 *       nibbles and whose high 16 bits hold the odd ones. A word masked with {@code 0x000F000F}
 *       after a shift of 0, 4, 8 or 12 is then two 16-bit lanes, elements 2t and 2t + 1 of one
 *       row, which a multiply by the activations {@code x[2t], x[2t + 1]} (one 32-bit broadcast)
 *       turns into the row's two products: rows stay in order, and no byte is widened or
 *       shuffled.</li>
 *   <li>Q4_K, Q5_K, per 256-element super-block (148·R and 276·R bytes; stored, 144 and 176):
 *       R f16 d, R f16 dmin, then per 32-element block j (18·R and 34·R bytes,
 *       {@link #kBlockOffset}): its 6-bit scale unpacked to one byte per row (R bytes), its min
 *       likewise, then the unsigned quants: Q4_K as Q4_0's nibbles (16·R bytes), Q5_K one
 *       byte per element and row (32·R bytes, 0..31). Unpacking the scales costs 16 bytes per row
 *       and super-block (about 3 %) and saves the kernel the 6-bit table. Unpacking Q5_K's fifth
 *       bits costs 57 % more memory for those tensors and makes its decode Q8_0's loop: with the
 *       bits merged per element in registers, decode ran at 13 GB/s, half Q8_0's rate, and a
 *       Q5_K_M file decoded at about half llama.cpp's speed.</li>
 *   <li>Q6_K, per super-block (274·R bytes; stored, 210): R f16 d, then per 32-element block j
 *       (34·R bytes): the int8 scales of its two sixteen-element halves (R bytes each), then for
 *       each element the R rows' {@code q - 32} as int8. Unpacking the 6-bit quants to bytes
 *       costs 30 % more memory for these tensors and spares the kernel fifteen bit operations
 *       per four elements.</li>
 * </ul>
 * A block's scales sit right before its quants, so a kernel reads a group strictly in address
 * order: with the scales of a whole super-block first (as GGUF keeps them), decode streamed
 * Q6_K and Q4_K at about half of Q8_0's bytes per second although the arithmetic was as fast
 * in cache (KernelBench: 30 ms against 17 ms per pass of the same bytes).
 * </ul>
 * Values mean exactly what {@link Dequant} says for the source block format.
 */
public final class Interleaved {
    private Interleaved() {}

    /** True when {@code type} has an interleaved layout. */
    public static boolean supports(TensorType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K -> true;
            default -> false;
        };
    }

    /**
     * Byte offset of 32-element block j (0..7) within an interleaved K-quant super-block of
     * {@code r} rows: where its scales start; its quants follow them.
     */
    public static long kBlockOffset(TensorType type, int r, int j) {
        return switch (type) {
            case Q4_K -> 4L * r + 18L * r * j;
            case Q5_K -> 4L * r + 34L * r * j;
            case Q6_K -> 2L * r + 34L * r * j;
            default -> throw new IllegalArgumentException(type + " is not a K-quant");
        };
    }

    /** Bytes of one interleaved group of {@code r} rows of {@code cols} elements. */
    public static long groupBytes(TensorType type, int r, int cols) {
        long superBlocks = cols / 256;
        return switch (type) {
            case Q4_K -> Q4K_SB * r * superBlocks;
            case Q5_K -> Q5K_SB * r * superBlocks;
            case Q6_K -> Q6K_SB * r * superBlocks;
            default -> type.bytesFor((long) r * cols);
        };
    }

    /** Bytes per row of one interleaved K-quant super-block. */
    public static final int Q4K_SB = 148, Q5K_SB = 276, Q6K_SB = 274;

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
        MemorySegment dst = NativeMemory.allocateZeroed(gb * groups, arena);
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
                        for (int e = 0; e < 32; e++) putNibble(out, blk + 2 * r, r, row, e, nibble(in, s + 2, e));
                    }
                }
            }
            case Q4_K, Q5_K, Q6_K -> packKQuants(type, in, rowBytes, rows, r, k, out);
            default -> throw new IllegalArgumentException(type + " has no interleaved layout");
        }
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_BYTE, dstOff, groupBytes);
    }

    private static void packKQuants(TensorType type, byte[] in, int rowBytes, int rows, int r, int k, byte[] out) {
        MemorySegment src = MemorySegment.ofArray(in);
        int bb = type.blockBytes();
        int sbBytes = (int) groupBytes(type, r, 256);
        for (int sb = 0; sb < k / 256; sb++) {
            int o = sbBytes * sb;
            for (int row = 0; row < rows; row++) {
                long blk = (long) row * rowBytes + (long) bb * sb;
                if (type == TensorType.Q6_K) {
                    copyHalf(in, (int) blk + 208, out, o + 2 * row);
                    for (int j = 0; j < 8; j++) {
                        int bo = o + (int) kBlockOffset(type, r, j);
                        out[bo + row] = in[(int) blk + 192 + 2 * j];
                        out[bo + r + row] = in[(int) blk + 192 + 2 * j + 1];
                        for (int i = 0; i < 32; i++) out[bo + 2 * r + i * r + row] = (byte) (Dequant.kQuant(type, src, blk, 32 * j + i) - 32);
                    }
                    continue;
                }
                copyHalf(in, (int) blk, out, o + 2 * row);
                copyHalf(in, (int) blk + 2, out, o + 2 * r + 2 * row);
                for (int j = 0; j < 8; j++) {
                    int bo = o + (int) kBlockOffset(type, r, j);
                    out[bo + row] = (byte) Dequant.q4kScale(src, blk + 4, j);
                    out[bo + r + row] = (byte) Dequant.q4kMin(src, blk + 4, j);
                    int go = bo + 2 * r;
                    if (type == TensorType.Q5_K) {
                        for (int i = 0; i < 32; i++) out[go + i * r + row] = (byte) Dequant.kQuant(type, src, blk, 32 * j + i);
                        continue;
                    }
                    for (int e = 0; e < 32; e++) putNibble(out, go, r, row, e, Dequant.kQuant(type, src, blk, 32 * j + e) & 0xF);
                }
            }
        }
    }

    private static void copyHalf(byte[] in, int at, byte[] out, int to) {
        out[to] = in[at];
        out[to + 1] = in[at + 1];
    }

    /**
     * The bit at which element e (0..31) of row {@code row} starts in the nibbles of an interleaved
     * Q4_0 or Q4_K block of r rows (counted from the block's first quant byte): eight elements
     * take 4·r bytes, half the rows 2·r of those, a row one little-endian word, whose nibble n
     * (bits 4n) is element 2n for n &lt; 4 and element 2(n - 4) + 1 above.
     */
    public static int nibbleBit(int r, int row, int e) {
        int half = r / 2, pair = e % 8 / 2, nibble = pair + 4 * (e % 2);
        int word = 4 * r * (e / 8) + 2 * r * (row / half) + 4 * (row % half);
        return 8 * word + 4 * nibble;
    }

    /** Element e's nibble (0..15) of row {@code row} in the block quants at {@code quants}. */
    static int nibbleAt(MemorySegment seg, long quants, int r, int row, int e) {
        int bit = nibbleBit(r, row, e);
        return (seg.get(ValueLayout.JAVA_BYTE, quants + (bit >>> 3)) & 0xFF) >>> (bit & 7) & 0xF;
    }

    private static void putNibble(byte[] out, int quants, int r, int row, int e, int value) {
        int bit = nibbleBit(r, row, e);
        out[quants + (bit >>> 3)] |= (byte) (value << (bit & 7));
    }

    /** Element e (0..31) of a GGUF Q4_0 block's 16 bytes at {@code qs}. */
    private static int nibble(byte[] block, int qs, int e) {
        int b = block[qs + (e & 15)] & 0xFF;
        return e < 16 ? b & 0xF : b >>> 4;
    }


    /** Row {@code row} of an interleaved matrix as {@link Dequant#blockRow} defines it. */
    static void blockRow(WeightMatrix w, int row, float[] values, float[] scales, float[] mins) {
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
                    for (int i = 0; i < 32; i++) values[32 * b + i] = nibbleAt(seg, blk + 2L * r, r, lane, i) - 8;
                }
            }
            case Q4_K, Q5_K -> {
                boolean five = w.type() == TensorType.Q5_K;
                long sbBytes = groupBytes(w.type(), r, 256);
                for (int b = 0; b < blocks; b++) {
                    long sb = base + sbBytes * (b / 8);
                    int j = b % 8;
                    long bo = sb + kBlockOffset(w.type(), r, j);
                    scales[b] = Dequant.f16(seg, sb + 2L * lane) * (seg.get(ValueLayout.JAVA_BYTE, bo + lane) & 0xFF);
                    mins[b] = -(Dequant.f16(seg, sb + 2L * r + 2L * lane) * (seg.get(ValueLayout.JAVA_BYTE, bo + r + lane) & 0xFF));
                    long g = bo + 2L * r;
                    for (int i = 0; i < 32; i++) {
                        values[32 * b + i] = five
                                ? seg.get(ValueLayout.JAVA_BYTE, g + (long) i * r + lane)
                                : nibbleAt(seg, g, r, lane, i);
                    }
                }
            }
            case Q6_K -> {
                long sbBytes = groupBytes(w.type(), r, 256);
                for (int b = 0; b < blocks; b++) {
                    long sb = base + sbBytes * (b / 8);
                    long bo = sb + kBlockOffset(w.type(), r, b % 8);
                    scales[b] = Dequant.f16(seg, sb + 2L * lane);
                    for (int i = 0; i < 32; i++) {
                        int sc = seg.get(ValueLayout.JAVA_BYTE, bo + (long) (i / 16) * r + lane);
                        values[32 * b + i] = sc * seg.get(ValueLayout.JAVA_BYTE, bo + 2L * r + (long) i * r + lane);
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
                    for (int i = 0; i < 32; i++) dst[off + 32 * b + i] = Math.fma((float) nibbleAt(seg, blk + 2L * r, r, lane, i), d, m8d);
                }
            }
            case Q4_K, Q5_K -> kQuantRow(w, row, dst, off);
            case Q6_K -> {
                long sbBytes = groupBytes(w.type(), r, 256);
                for (int e = 0; e < k; e++) {
                    long sb = base + sbBytes * (e / 256);
                    long bo = sb + kBlockOffset(w.type(), r, e % 256 / 32);
                    int q = seg.get(ValueLayout.JAVA_BYTE, bo + 2L * r + (long) (e % 32) * r + lane);
                    int sc = seg.get(ValueLayout.JAVA_BYTE, bo + (long) (e % 32 / 16) * r + lane);
                    dst[off + e] = (Dequant.f16(seg, sb + 2L * lane) * sc) * q; // the reference's (d * sc) * (q - 32)
                }
            }
            default -> throw new IllegalArgumentException(w.type() + " has no interleaved layout");
        }
    }

    /**
     * A Q4_K or Q5_K row from its block form: {@code fma(value, scale, min)} is the reference's
     * {@code (d * sc) * q - dmin * m} (the product is exact, so both round once, zeros' signs included).
     */
    private static void kQuantRow(WeightMatrix w, int row, float[] dst, int off) {
        int k = w.cols();
        int blocks = k / Dequant.MATMUL_BLOCK;
        float[] values = new float[k], scales = new float[blocks], mins = new float[blocks];
        blockRow(w, row, values, scales, mins);
        for (int i = 0; i < k; i++) {
            int b = i / Dequant.MATMUL_BLOCK;
            dst[off + i] = Math.fma(values[i], scales[b], mins[b]);
        }
    }
}
