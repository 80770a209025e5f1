package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.tensor.QuantFixtures;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The attention kernels read the cache in place and compute every score and every value sum in
 * the scalar reference's order: equal bits, for every element-wise cache type.
 */
class AttentionKernelsTest {
    private static final VectorKernels V = new VectorKernels();
    private static final ScalarKernels S = new ScalarKernels();
    private static final KvCacheType[] TYPES = {KvCacheType.F32, KvCacheType.F16, KvCacheType.BF16};

    /** {@code values} stored as {@code type} (through the cache's own encoder). */
    private static MemorySegment store(KvCacheType type, float[] values) {
        MemorySegment seg = Arena.ofAuto().allocate(type.rowBytes(values.length), 64);
        CacheKernels.get().encodeRow(type, values, 0, values.length, seg, 0);
        return seg;
    }

    @Test
    void scoresBlockEqualsScalar() {
        for (KvCacheType type : TYPES) {
            for (int bs : new int[] {1, 7, 16, 32, 48, 128}) {
                for (int dim : new int[] {1, 5, 64, 128}) {
                    float[] raw = QuantFixtures.randomActivations(bs * dim + 11, bs * 31 + dim);
                    MemorySegment keys = store(type, raw);
                    float[] q = QuantFixtures.randomActivations(dim + 3, dim);
                    float[] a = new float[bs + 2], b = new float[bs + 2];
                    S.scoresBlock(type, q, 3, keys, 11, dim, bs, a, 2);
                    V.scoresBlock(type, q, 3, keys, 11, dim, bs, b, 2);
                    for (int j = 0; j < a.length; j++) {
                        assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), type + " bs " + bs + " dim " + dim + " key " + j);
                    }
                    // the last key's score is the sequential fused dot of the query with that key
                    float acc = 0f;
                    for (int d = 0; d < dim; d++) acc = Math.fma(q[3 + d], ScalarKernels.element(type, keys, 11 + (long) d * bs + bs - 1), acc);
                    assertEquals(acc, b[2 + bs - 1]);
                }
            }
        }
    }

    @Test
    void accumulateRowsEqualsRepeatedAxpy() {
        for (KvCacheType type : TYPES) {
            for (int dim : new int[] {1, 13, 64, 128, 200}) {
                for (int count : new int[] {1, 3, 16}) {
                    int stride = dim + 5;
                    float[] raw = QuantFixtures.randomActivations(count * stride + 4, dim * 7 + count);
                    MemorySegment rows = store(type, raw);
                    float[] decoded = new float[raw.length];
                    for (int i = 0; i < raw.length; i++) decoded[i] = ScalarKernels.element(type, rows, i);
                    float[] w = QuantFixtures.randomActivations(count + 1, count);
                    float[] init = QuantFixtures.randomActivations(dim + 2, 99);
                    float[] axpy = init.clone(), s = init.clone(), v = init.clone();
                    for (int t = 0; t < count; t++) V.axpy(w[1 + t], decoded, 4 + t * stride, axpy, 2, dim);
                    S.accumulateRows(type, w, 1, rows, 4, stride, count, s, 2, dim);
                    V.accumulateRows(type, w, 1, rows, 4, stride, count, v, 2, dim);
                    for (int i = 0; i < init.length; i++) {
                        assertEquals(Float.floatToRawIntBits(axpy[i]), Float.floatToRawIntBits(v[i]), type + " vector vs axpy, dim " + dim + " at " + i);
                        assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(v[i]), type + " vector vs scalar, dim " + dim + " at " + i);
                    }
                }
            }
        }
    }
}
