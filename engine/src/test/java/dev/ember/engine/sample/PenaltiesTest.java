package dev.ember.engine.sample;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class PenaltiesTest {

    private static final float[] LOGITS = {2.0f, -1.0f, 0.5f, 3.0f, 0.0f};

    /** The penalized row as the sampler sees it. */
    private static float[] penalized(Penalties p, float[] logits) {
        PenalizedLogits view = new PenalizedLogits(logits.length);
        view.reset(logits, 0);
        p.apply(logits, 0, view);
        float[] out = new float[logits.length];
        for (int i = 0; i < out.length; i++) out[i] = view.get(i);
        return out;
    }

    @Test
    void repetitionDividesPositiveAndMultipliesNegativeLogits() {
        Penalties p = Penalties.of(2f, 0f, 0f, 64, 5);
        p.window().pushAll(new int[]{0, 0, 1, 3, 4});
        // 2 / 2, -1 * 2, untouched, 3 / 2, 0 stays 0
        assertArrayEquals(new float[]{1.0f, -2.0f, 0.5f, 1.5f, 0.0f}, penalized(p, LOGITS));
    }

    @Test
    void presenceSubtractsOncePerSeenToken() {
        Penalties p = Penalties.of(1f, 0.25f, 0f, 64, 5);
        p.window().pushAll(new int[]{0, 0, 0, 1});
        assertArrayEquals(new float[]{1.75f, -1.25f, 0.5f, 3.0f, 0.0f}, penalized(p, LOGITS));
    }

    @Test
    void frequencySubtractsPerOccurrence() {
        Penalties p = Penalties.of(1f, 0f, 0.5f, 64, 5);
        p.window().pushAll(new int[]{0, 0, 0, 1});
        assertArrayEquals(new float[]{0.5f, -1.5f, 0.5f, 3.0f, 0.0f}, penalized(p, LOGITS));
    }

    @Test
    void allThreeCombineInLlamaCppsOrder() {
        // repetition first, then count * frequency + presence.
        Penalties p = Penalties.of(2f, 0.25f, 0.5f, 64, 5);
        p.window().pushAll(new int[]{0, 0, 1, 3});
        // token 0: 2/2 - (2*.5 + .25) = -0.25; token 1: -1*2 - .75 = -2.75; token 3: 3/2 - .75 = 0.75
        assertArrayEquals(new float[]{-0.25f, -2.75f, 0.5f, 0.75f, 0.0f}, penalized(p, LOGITS));
    }

    @Test
    void neutralOrZeroWindowMeansNoPenalties() {
        assertNull(Penalties.of(1f, 0f, 0f, 64, 5));
        assertNull(Penalties.of(1.5f, 1f, 1f, 0, 5));
    }

    @Test
    void windowKeepsTheLastNTokensWithCounts() {
        PenaltyWindow w = new PenaltyWindow(3, 10);
        w.pushAll(new int[]{5, 5, 2, 7, 5});    // window: 2 7 5
        assertEquals(1, w.count(5));
        assertEquals(1, w.count(2));
        assertEquals(1, w.count(7));
        w.push(7);                              // window: 7 5 7
        assertEquals(0, w.count(2));
        assertEquals(2, w.count(7));
        assertEquals(2, w.distinct());
        assertArrayEquals(new int[]{5, 7}, java.util.Arrays.copyOf(w.ids(), w.distinct()));
        w.push(99);                             // out of vocabulary: ignored
        assertEquals(2, w.count(7));
    }

    @Test
    void unboundedWindowCountsTheWholeSequence() {
        PenaltyWindow w = new PenaltyWindow(-1, 10);
        for (int i = 0; i < 1000; i++) w.push(i % 3);
        assertEquals(334, w.count(0));
        assertEquals(333, w.count(2));
        assertEquals(3, w.distinct());
    }

    @Test
    void viewMatchesPenalizedValuesInEveryPass() {
        // argmax, max, selectTop and sumExp must all see the overrides, including at ids 0 and vocab-1.
        float[] l = {9f, 1f, 2f, 3f, 8f};
        Penalties p = Penalties.of(1f, 10f, 0f, -1, 5);
        p.window().pushAll(new int[]{0, 4});
        PenalizedLogits v = new PenalizedLogits(5);
        v.reset(l, 0);
        p.apply(l, 0, v);
        assertEquals(3, v.argmax());
        assertEquals(3f, v.max());
        Candidates c = new Candidates(2);
        v.selectTop(2, c);
        assertEquals(3, c.id(0));
        assertEquals(2, c.id(1));
        // row seen as {-1, 1, 2, 3, -2}
        double expected = Math.exp(-4) + Math.exp(-2) + Math.exp(-1) + 1 + Math.exp(-5);
        assertEquals(expected, v.sumExp(3f, 1.0), 1e-8);    // FastExp: ~5e-9 relative
        assertEquals(-2f, v.get(4));
    }
}
