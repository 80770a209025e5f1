package dev.ember.engine.kernels;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The key-block layout is the same for every implementation, so indexer keys laid out once are
 * read right by any kernels (the scalar kernels used 8 keys a block and the vector ones a
 * vector's lanes: a layout made for one was misread by the other). Both give the same bits.
 */
class KeyBlockLayoutTest {
    @Test
    void everyImplementationUsesOneLayoutAndOneReductionOrder() {
        Kernels scalar = new ScalarKernels(), chosen = Kernels.get();
        assertEquals(Kernels.KEY_BLOCK, scalar.keyBlock());
        assertEquals(Kernels.KEY_BLOCK, chosen.keyBlock());
        SplittableRandom rnd = new SplittableRandom(8);
        int dim = 64, kb = Kernels.KEY_BLOCK;
        float[] q = new float[dim], block = new float[kb * dim];
        for (int i = 0; i < dim; i++) q[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < block.length; i++) block[i] = (float) rnd.nextGaussian();
        float[] a = new float[kb], b = new float[kb];
        scalar.dotsBlock(q, 0, block, 0, dim, a, 0);
        chosen.dotsBlock(q, 0, block, 0, dim, b, 0);
        assertArrayEquals(a, b, chosen.name());
    }
}
