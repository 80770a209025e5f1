package dev.ember.engine.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ember.engine.tensor.QuantFixtures;
import org.junit.jupiter.api.Test;

/** The attention kernels compute every score and every value sum in the scalar reference's order: equal bits. */
class AttentionKernelsTest {
    private static final VectorKernels V = new VectorKernels();
    private static final ScalarKernels S = new ScalarKernels();

    @Test
    void scoresBlockEqualsScalar() {
        for (int bs : new int[] {1, 7, 8, 16, 32, 48, 128}) {
            for (int dim : new int[] {1, 5, 64, 128}) {
                float[] keys = QuantFixtures.randomActivations(bs * dim + 11, bs * 31 + dim);
                float[] q = QuantFixtures.randomActivations(dim + 3, dim);
                float[] a = new float[bs + 2], b = new float[bs + 2];
                S.scoresBlock(q, 3, keys, 11, dim, bs, a, 2);
                V.scoresBlock(q, 3, keys, 11, dim, bs, b, 2);
                for (int j = 0; j < a.length; j++) {
                    assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), "bs " + bs + " dim " + dim + " key " + j);
                }
                // one key's score is the sequential fused dot of the query with that key
                float acc = 0f;
                for (int d = 0; d < dim; d++) acc = Math.fma(q[3 + d], keys[11 + d * bs + bs - 1], acc);
                assertEquals(acc, b[2 + bs - 1]);
            }
        }
    }

    @Test
    void accumulateRowsEqualsRepeatedAxpy() {
        for (int dim : new int[] {1, 13, 64, 128, 200}) {
            for (int count : new int[] {1, 3, 16}) {
                int stride = dim + 5;
                float[] rows = QuantFixtures.randomActivations(count * stride + 4, dim * 7 + count);
                float[] w = QuantFixtures.randomActivations(count + 1, count);
                float[] init = QuantFixtures.randomActivations(dim + 2, 99);
                float[] axpy = init.clone(), s = init.clone(), v = init.clone();
                for (int t = 0; t < count; t++) V.axpy(w[1 + t], rows, 4 + t * stride, axpy, 2, dim);
                S.accumulateRows(w, 1, rows, 4, stride, count, s, 2, dim);
                V.accumulateRows(w, 1, rows, 4, stride, count, v, 2, dim);
                for (int i = 0; i < init.length; i++) {
                    assertEquals(Float.floatToRawIntBits(axpy[i]), Float.floatToRawIntBits(v[i]), "vector vs axpy, dim " + dim + " at " + i);
                    assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(v[i]), "vector vs scalar, dim " + dim + " at " + i);
                }
            }
        }
    }

    @Test
    void manyQueriesScoreAsOneAtATime() {
        for (int bs : new int[] {7, 16, 32, 40}) {
            for (int nq : new int[] {1, 2, 3, 4, 5, 8, 9, 13, 16}) {
                int dim = 128, qStride = dim + 3, outStride = bs + 5;
                float[] keys = QuantFixtures.randomActivations(bs * dim + 11, bs * 7 + nq);
                float[] q = QuantFixtures.randomActivations(nq * qStride + 3, nq * 3 + bs);
                float[] a = new float[nq * outStride + 2], b = new float[nq * outStride + 2];
                for (int i = 0; i < nq; i++) S.scoresBlock(q, 3 + i * qStride, keys, 11, dim, bs, a, 2 + i * outStride);
                V.scoresBlocks(q, 3, qStride, nq, keys, 11, dim, bs, b, 2, outStride);
                for (int j = 0; j < a.length; j++) {
                    assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), "bs " + bs + " nq " + nq + " at " + j);
                }
            }
        }
    }

    @Test
    void runsOfBlocksScoreAsOneBlockAtATime() {
        for (int bs : new int[] {8, 16, 32}) {
            for (int nq : new int[] {1, 2, 3}) {
                for (int blocks : new int[] {1, 3, 4, 5, 8, 9}) {
                    int dim = 128, qStride = dim + 3, outStride = blocks * bs + 5;
                    float[] keys = QuantFixtures.randomActivations(blocks * bs * dim + 11, bs * 7 + nq + blocks);
                    float[] q = QuantFixtures.randomActivations(nq * qStride + 3, nq * 3 + bs);
                    float[] a = new float[nq * outStride + 2], b = new float[nq * outStride + 2];
                    for (int blk = 0; blk < blocks; blk++) {
                        for (int i = 0; i < nq; i++) S.scoresBlock(q, 3 + i * qStride, keys, 11 + blk * dim * bs, dim, bs, a, 2 + i * outStride + blk * bs);
                    }
                    V.scoresBlockRun(q, 3, qStride, nq, keys, 11, blocks, dim, bs, b, 2, outStride);
                    for (int j = 0; j < a.length; j++) {
                        assertEquals(Float.floatToRawIntBits(a[j]), Float.floatToRawIntBits(b[j]), "bs " + bs + " nq " + nq + " blocks " + blocks + " at " + j);
                    }
                }
            }
        }
    }

    @Test
    void manyOutputsAccumulateAsOneAtATime() {
        for (int dim : new int[] {13, 64, 128, 200}) {
            for (int nq : new int[] {1, 2, 3, 6}) {
                int count = 16, stride = dim + 5, wStride = count + 3, outStride = dim + 7;
                float[] rows = QuantFixtures.randomActivations(count * stride + 4, dim * 5 + nq);
                float[] w = QuantFixtures.randomActivations(nq * wStride + 1, nq + dim);
                float[] init = QuantFixtures.randomActivations(nq * outStride + 2, 98);
                float[] s = init.clone(), v = init.clone();
                for (int i = 0; i < nq; i++) S.accumulateRows(w, 1 + i * wStride, rows, 4, stride, count, s, 2 + i * outStride, dim);
                V.accumulateRowsMany(w, 1, wStride, nq, rows, 4, stride, count, v, 2, outStride, dim);
                for (int i = 0; i < init.length; i++) {
                    assertEquals(Float.floatToRawIntBits(s[i]), Float.floatToRawIntBits(v[i]), "dim " + dim + " nq " + nq + " at " + i);
                }
            }
        }
    }
}
