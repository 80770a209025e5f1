package dev.ember.engine.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The key-block dot products equal plain dot products, for both implementations. */
class DotsBlockTest {
    @Test
    void blockDotsEqualPerKeyDots() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (Kernels k : new Kernels[]{new ScalarKernels(), Kernels.get()}) {
            int kb = k.keyBlock(), dim = 128;
            float[] q = new float[dim];
            float[][] keys = new float[kb][dim];
            float[] block = new float[kb * dim];
            for (int i = 0; i < dim; i++) q[i] = (float) rnd.nextGaussian();
            for (int j = 0; j < kb; j++) {
                for (int i = 0; i < dim; i++) {
                    keys[j][i] = (float) rnd.nextGaussian();
                    block[i * kb + j] = keys[j][i];
                }
            }
            float[] out = new float[kb];
            k.dotsBlock(q, 0, block, 0, dim, out, 0);
            for (int j = 0; j < kb; j++) {
                double ref = 0;
                for (int i = 0; i < dim; i++) ref += (double) q[i] * keys[j][i];
                assertEquals(ref, out[j], 1e-4 * Math.max(1, Math.abs(ref)), k.name() + " key " + j);
            }
        }
    }
}
