package dev.ember.engine.kernels;

import static dev.ember.engine.kernels.InterleavedMatmul.BLOCK;
import static dev.ember.engine.kernels.InterleavedMatmul.R;
import static dev.ember.engine.kernels.VectorBlocks.FS;
import static dev.ember.engine.kernels.VectorBlocks.IS;
import static dev.ember.engine.kernels.VectorBlocks.L;
import static dev.ember.engine.kernels.VectorBlocks.LE;

import dev.ember.engine.tensor.Interleaved;
import dev.ember.engine.tensor.TensorType;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Q4_0 and Q4_K GEMM in 16-bit integer lanes, for many tokens (prefill): a group's weights become
 * an integer panel ({@code nibble - 8}, one R-lane short vector per input element), and a token's
 * block sum {@code Σ (nibble - 8) · q} is accumulated with a multiply and an add per R weights.
 * Q4_K's quants are the unsigned nibbles, so its exact block sum is that one plus
 * {@code 8 · Σq}, added as an int before the conversion.
 *
 * <p>Why it is exact: with int8 activations ({@link ActivationQuant}) every product is at most
 * 8 · 127 = 1,016 in magnitude and a 32-element block sum at most 32,512, inside a short. The
 * block sum is the same integer the float tiles and the scalar reference compute, and what
 * follows is their order: {@code t = s * d_x}, {@code acc = fma(scale, t, acc)}, and for Q4_K
 * {@code acc = fma(min, xs, acc)}. So the bits equal every other path's.
 *
 * <p>Why it is faster: a float tile spends one fused multiply-add per weight and token on the two
 * FMA pipes; here a 16-bit multiply and an add cover twice the lanes per instruction and share
 * the work across more pipes.
 */
final class Q4IntegerGemm {
    private static final VectorSpecies<Short> SS = ShortVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(16 * R));

    private Q4IntegerGemm() {}

    /** {@code -Dember.kernels.q4IntegerGemm=false} keeps Q4_0 prefill on the float tiles. */
    private static final boolean ENABLED = !"false".equals(System.getProperty("ember.kernels.q4IntegerGemm"));

    /**
     * From this many tokens, Q4_0 and Q4_K take this GEMM; below, the float block tiles
     * ({@link InterleavedMatmul#gemm}), whose four-token tiles beat this one's one-token tiles.
     * KernelBench on the Zen 3 VM, one thread, GFLOP/s mean (best), float block tiles against
     * this: rows=4 Q4_0 36-40 (41) vs 24-26 (31); rows=8 Q4_0 40-50 (48-54) vs 48-59 (68), Q4_K
     * 40-42 (42-49) vs 54-55 (59); rows=32 Q4_0 58-60 (64-65) vs 76-80 (83), Q4_K 55-58 (61) vs
     * 68-69 (71-73). Set by {@code -Dember.kernels.q4IntegerGemmRows}.
     */
    static final int MIN_ROWS = Integer.getInteger("ember.kernels.q4IntegerGemmRows", 8);

    /** Whether it is on and this machine's vectors fit the scheme: R shorts as one vector. */
    static boolean supported() {
        return ENABLED && SS.length() == R;
    }

    /** Whether {@link #gemm} takes matrices of this type. */
    static boolean takes(TensorType type) {
        return type == TensorType.Q4_0 || type == TensorType.Q4_K;
    }

    /**
     * Groups [g0, g1) of an interleaved Q4_0 or Q4_K matrix for {@code rows} tokens, from the int8
     * activations as shorts in {@link #tileMajor} order, their block scales and block sums
     * ({@code xd[t*nb + b]}, {@code xqSums[t*nb + b]}) and, for Q4_K's min term, the input sums
     * {@code xs[t*nb + b]}. {@code scales} holds 2·R·nb floats: the panel's scales, then its mins.
     */
    static void gemm(TensorType type, MemorySegment seg, int k, int n, short[] xp, float[] xd, int[] xqSums, float[] xs, int rows,
                     float[] out, int g0, int g1, short[] panel, float[] scales, float[] tmp, short[] sums, float[] acc) {
        long gb = Interleaved.groupBytes(type, R, k);
        int nb = k / BLOCK;
        Block block = type == TensorType.Q4_K ? new Block(xqSums, scales, R * nb, xs) : new Block(null, scales, -1, null);
        if (rows <= InterleavedMatmul.BLOCK_GEMM_ROWS) {
            gemmByBlock(type, seg, k, n, xp, xd, rows, out, g0, g1, panel, scales, sums, acc, block);
            return;
        }
        for (int g = g0; g < g1; g++) {
            for (int b = 0; b < nb; b++) fillBlock(type, seg, gb * g, b, panel, b * BLOCK * R, scales, R * nb);
            int t = 0;
            for (; t + 8 <= rows; t += 8) tile8(panel, block, k, xp, t * k, xd, t * nb, out, t * n, n, g * R, tmp, sums);
            for (; t < rows; t++) tile1(panel, block, k, xp, t * k, xd, t * nb, out, t * n, n, g * R, tmp, sums);
        }
    }

    /**
     * For a few tokens (batched decode): one block of a group at a time becomes shorts in L1 and
     * every token's tile sums it, folding into the tokens' running sums {@code acc} ({@code rows}
     * x R floats). A whole-group panel first (the form above) left the memory stream idle while
     * the tiles ran and the cores idle while it filled: at eight tokens, filling it was a third of
     * batched decode's time (perf, Q4_0, Zen 5). Each (row, token) still folds its blocks in order
     * with the same integer sums: the same bits.
     */
    private static void gemmByBlock(TensorType type, MemorySegment seg, int k, int n, short[] xp, float[] xd, int rows, float[] out,
                                    int g0, int g1, short[] panel, float[] scales, short[] sums, float[] acc, Block block) {
        long gb = Interleaved.groupBytes(type, R, k);
        int nb = k / BLOCK;
        for (int g = g0; g < g1; g++) {
            java.util.Arrays.fill(acc, 0, rows * R, 0f);
            for (int b = 0; b < nb; b++) {
                fillBlock(type, seg, gb * g, b, panel, 0, scales, R * nb);
                int t = 0;
                for (; t + 8 <= rows; t += 8) {
                    blockSums8(panel, 0, xp, t * k + 8 * BLOCK * b, sums);
                    fold(sums, 8, block, b, xd, t * nb + b, nb, acc, t * R);
                }
                for (; t < rows; t++) {
                    blockSums1(panel, 0, xp, t * k + BLOCK * b, sums);
                    fold(sums, 1, block, b, xd, t * nb + b, nb, acc, t * R);
                }
            }
            InterleavedMatmul.copyOut(acc, rows, out, 0, n, g * R);
        }
    }

    /**
     * The int8 activations in the order the tiles read them: an eight-token tile starting at
     * token t finds element i of token t + j at {@code dst[t*k + 8i + j]} (the index range the
     * row-major input gives those tokens), so its eight broadcasts per element share one address;
     * row-major, each needed an offset of its own, and C2 kept those on the stack. The remaining
     * one-token tiles read rows as they are.
     */
    static void tileMajor(short[] in, int rows, int k, short[] dst) {
        int t = 0;
        for (; t + 8 <= rows; t += 8) {
            int base = t * k;
            for (int j = 0; j < 8; j++) {
                for (int i = 0, src = base + j * k, d = base + j; i < k; i++, d += 8) dst[d] = in[src + i];
            }
        }
        System.arraycopy(in, t * k, dst, t * k, (rows - t) * k);
    }

    /**
     * What a block's fold adds beyond Q4_0's: the integers' block sums whose 8· turns the panel's
     * {@code nibble - 8} sums into Q4_K's, and the min term (mins at {@code scales[mins ..]},
     * input sums xs). Null and -1 for Q4_0.
     */
    private record Block(int[] xqSums, float[] scales, int mins, float[] xs) {}

    /**
     * Block b of the group at {@code go} as shorts {@code [32][R]} from {@code panel[pOff]}
     * ({@code nibble - 8}, the element order of InterleavedMatmul's block decoders, rows
     * interleaved by halves as {@link #lanes} reads them), its scales at {@code scales[b*R ..]} and
     * for Q4_K its mins at {@code scales[mins + b*R ..]}.
     */
    private static void fillBlock(TensorType type, MemorySegment seg, long go, int b, short[] panel, int pOff, float[] scales, int mins) {
        long quants;
        if (type == TensorType.Q4_K) {
            long head = Interleaved.kBlockOffset(TensorType.Q4_K, R, 0), step = Interleaved.kBlockOffset(TensorType.Q4_K, R, 1) - head;
            long sb = go + (long) Interleaved.Q4K_SB * R * (b / 8), bo = sb + head + step * (b % 8);
            InterleavedMatmul.kScalesAndMins(seg, sb, bo, scales, b * R, scales, mins + b * R);
            quants = bo + 2L * R;
        } else {
            long blk = go + 18L * R * b;
            VectorBlocks.halfsRow(seg, blk, R, scales, b * R);
            quants = blk + 2L * R;
        }
        // Eight elements per step (Interleaved.nibbleBit): words c0 hold rows [0, L), c1 rows
        // [L, R); element 2t is at bit 4t, element 2t + 1 at bit 16 + 4t. Row j goes to the
        // low 16 bits of 32-bit lane j, row j + L to the high ones. The two rows' even halves are
        // first joined into one word (and the odd halves into another), so each element then
        // costs one shift and one mask for both rows: 36 operations per eight elements, not 56.
        int di = pOff;
        for (long o = quants, end = o + 16L * R; o < end; o += 4L * R, di += 8 * R) { // long offsets: see InterleavedMatmul.q8DecodePair
            IntVector c0 = IntVector.fromMemorySegment(IS, seg, o, LE), c1 = IntVector.fromMemorySegment(IS, seg, o + 2L * R, LE);
            IntVector evens = c0.and(0xFFFF).or(c1.lanewise(VectorOperators.LSHL, 16));
            IntVector odds = c0.lanewise(VectorOperators.LSHR, 16).or(c1.and(0xFFFF0000));
            for (int t = 0; t < 4; t++) {
                evens.lanewise(VectorOperators.LSHR, 4 * t).and(0xF000F).reinterpretAsShorts().sub((short) 8).intoArray(panel, di + 2 * t * R);
                odds.lanewise(VectorOperators.LSHR, 4 * t).and(0xF000F).reinterpretAsShorts().sub((short) 8).intoArray(panel, di + (2 * t + 1) * R);
            }
        }
    }

    private static ShortVector x(short[] xq, int i) {
        return ShortVector.broadcast(SS, xq[i]);
    }

    /**
     * Eight tokens: their block sums in eight 16-bit accumulators, then folded into the running
     * sums in {@code tmp} (L1) one token at a time. The fold is a loop, not eight copies: C2
     * stopped compiling the conversions to vector code when the method held sixteen of them.
     */
    private static void tile8(short[] p, Block blk, int k, short[] xp, int x0, float[] xd, int xs0, float[] out, int o, int n, int j0,
                              float[] tmp, short[] sums) {
        int nb = k / BLOCK;
        java.util.Arrays.fill(tmp, 0, 8 * R, 0f);
        for (int b = 0; b < nb; b++) {
            blockSums8(p, BLOCK * b * R, xp, x0 + 8 * BLOCK * b, sums);
            fold(sums, 8, blk, b, xd, xs0 + b, nb, tmp, 0);
        }
        InterleavedMatmul.copyOut(tmp, 8, out, o, n, j0);
    }

    /**
     * Eight tokens' sums over one block whose 32 elements' R shorts start at {@code p[pOff]},
     * the tokens' int8 inputs in {@link #tileMajor} order from {@code xp[x0]}: eight 16-bit
     * accumulators, stored to {@code sums} (token j at {@code jR}).
     */
    private static void blockSums8(short[] p, int pOff, short[] xp, int x0, short[] sums) {
        ShortVector zs = ShortVector.zero(SS);
        ShortVector a0 = zs, a1 = zs, a2 = zs, a3 = zs, a4 = zs, a5 = zs, a6 = zs, a7 = zs;
        for (int i = 0, xi = x0; i < BLOCK; i++, xi += 8) { // tileMajor: the tile's eight tokens side by side
            ShortVector w = ShortVector.fromArray(SS, p, pOff + i * R);
            a0 = w.mul(x(xp, xi)).add(a0);
            a1 = w.mul(x(xp, xi + 1)).add(a1);
            a2 = w.mul(x(xp, xi + 2)).add(a2);
            a3 = w.mul(x(xp, xi + 3)).add(a3);
            a4 = w.mul(x(xp, xi + 4)).add(a4);
            a5 = w.mul(x(xp, xi + 5)).add(a5);
            a6 = w.mul(x(xp, xi + 6)).add(a6);
            a7 = w.mul(x(xp, xi + 7)).add(a7);
        }
        a0.intoArray(sums, 0); a1.intoArray(sums, R); a2.intoArray(sums, 2 * R); a3.intoArray(sums, 3 * R);
        a4.intoArray(sums, 4 * R); a5.intoArray(sums, 5 * R); a6.intoArray(sums, 6 * R); a7.intoArray(sums, 7 * R);
    }

    /** One token's sum over one block ({@link #blockSums8}), its input row-major from {@code xp[x0]}. */
    private static void blockSums1(short[] p, int pOff, short[] xp, int x0, short[] sums) {
        ShortVector a = ShortVector.zero(SS);
        for (int i = 0; i < BLOCK; i++) a = ShortVector.fromArray(SS, p, pOff + i * R).mul(x(xp, x0 + i)).add(a);
        a.intoArray(sums, 0);
    }

    /**
     * {@code tmp[tmp0 + t*R + r] = fma(d[r], sum[t][r] * xd[t], tmp[tmp0 + t*R + r])} for each
     * token t of the tile, block b; for Q4_K the sum first gains {@code 8 · Σq} and the min term follows.
     */
    private static void fold(short[] sums, int tokens, Block blk, int b, float[] xd, int xd0, int nb, float[] tmp, int tmp0) {
        float[] sc = blk.scales();
        FloatVector d0 = FloatVector.fromArray(FS, sc, b * R), d1 = FloatVector.fromArray(FS, sc, b * R + L);
        if (blk.mins() < 0) {
            // Q4_0: one sum and one scale per token; the index steps by nb (no multiply per token).
            // A loop of its own: one loop with Q4_K's branches inside read Q4_K rows=512 at 67-74
            // GFLOP/s (best of each run) against 71-76 for the two (KernelBench, Zen 3 VM).
            for (int t = 0, xi = xd0, st = 0, at = tmp0; t < tokens; t++, xi += nb, st += R, at += R) {
                ShortVector a = ShortVector.fromArray(SS, sums, st);
                FloatVector u = FloatVector.broadcast(FS, xd[xi]);
                d0.fma(lanes(a, 0, 0).mul(u), FloatVector.fromArray(FS, tmp, at)).intoArray(tmp, at);
                d1.fma(lanes(a, 1, 0).mul(u), FloatVector.fromArray(FS, tmp, at + L)).intoArray(tmp, at + L);
            }
            return;
        }
        int[] qs = blk.xqSums();
        float[] xs = blk.xs();
        FloatVector m0 = FloatVector.fromArray(FS, sc, blk.mins() + b * R), m1 = FloatVector.fromArray(FS, sc, blk.mins() + b * R + L);
        for (int t = 0, xi = xd0, st = 0, at = tmp0; t < tokens; t++, xi += nb, st += R, at += R) {
            ShortVector a = ShortVector.fromArray(SS, sums, st);
            FloatVector u = FloatVector.broadcast(FS, xd[xi]), v = FloatVector.broadcast(FS, xs[xi]);
            int offset = 8 * qs[xi];
            m0.fma(v, d0.fma(lanes(a, 0, offset).mul(u), FloatVector.fromArray(FS, tmp, at))).intoArray(tmp, at);
            m1.fma(v, d1.fma(lanes(a, 1, offset).mul(u), FloatVector.fromArray(FS, tmp, at + L))).intoArray(tmp, at + L);
        }
    }

    private static void tile1(short[] p, Block blk, int k, short[] xp, int x0, float[] xd, int xs0, float[] out, int o, int n, int j0,
                              float[] tmp, short[] sums) {
        int nb = k / BLOCK;
        java.util.Arrays.fill(tmp, 0, R, 0f);
        for (int b = 0; b < nb; b++) {
            blockSums1(p, BLOCK * b * R, xp, x0 + BLOCK * b, sums);
            fold(sums, 1, blk, b, xd, xs0 + b, nb, tmp, 0);
        }
        InterleavedMatmul.copyOut(tmp, 1, out, o, n, j0);
    }

    /**
     * Rows {@code [part·L, part·L + L)} of a block sum plus {@code offset}, as floats (exact:
     * integers below 2^24). The panel holds row j in 16-bit lane 2j and row j + L in lane 2j + 1,
     * so each half is one shift pair of the same bits read as ints: a widening short-to-float
     * conversion of the upper half is not compiled to vector code on JDK 25 (it fell back to a
     * per-call Java path).
     */
    private static FloatVector lanes(ShortVector a, int part, int offset) {
        IntVector pair = (IntVector) a.reinterpretAsInts();
        IntVector half = part == 0 ? pair.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16) : pair.lanewise(VectorOperators.ASHR, 16);
        return (FloatVector) half.add(offset).convert(VectorOperators.I2F, 0);
    }
}
