package dev.ember.engine.sample;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class CandidatesTest {

    @Test
    void selectsTheSameTopKAsAFullSortIncludingTies() {
        Random r = new Random(3);
        for (int trial = 0; trial < 50; trial++) {
            int n = 1 + r.nextInt(3000);
            float[] l = new float[n];
            for (int i = 0; i < n; i++) l[i] = r.nextInt(50) / 4f;   // many ties
            int k = 1 + r.nextInt(Math.min(n, 200));
            Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i));
            PenalizedLogits v = new PenalizedLogits(n);
            v.reset(l, 0);
            Candidates c = new Candidates(4);
            v.selectTop(k, c);
            assertEquals(k, c.size());
            for (int i = 0; i < k; i++) {
                assertEquals(order[i], c.id(i), "trial " + trial + " rank " + i);
                assertEquals(l[order[i]], c.val(i));
            }
        }
    }

    @Test
    void collectedEntriesSortLikeTheHeap() {
        Random r = new Random(4);
        int n = 5000;
        Candidates c = new Candidates(1);
        c.beginCollect();
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (i % 7) { case 0 -> -r.nextInt(20) / 2f; case 1 -> Float.NEGATIVE_INFINITY; case 2 -> -0.0f; default -> (float) r.nextGaussian() * 30; };
            c.add(i, v[i]);
        }
        c.sortCollected();
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        // + 0f folds -0.0 into 0.0, so those tie and go by id, as in the heap
        Arrays.sort(order, Comparator.<Integer, Float>comparing(i -> -(v[i] + 0f) + 0f).thenComparingInt(i -> i));
        for (int i = 0; i < n; i++) {
            assertEquals(order[i], c.id(i), "rank " + i);
            assertEquals(v[order[i]] + 0f, c.val(i));
        }
    }

    @Test
    void nanRanksAsNegativeInfinity() {
        float[] l = {Float.NaN, 1f, Float.NEGATIVE_INFINITY, 2f};
        PenalizedLogits v = new PenalizedLogits(4);
        v.reset(l, 0);
        Candidates c = new Candidates(4);
        v.selectTop(4, c);
        assertEquals(3, c.id(0));
        assertEquals(1, c.id(1));
        assertEquals(Float.NEGATIVE_INFINITY, c.val(2));
        assertEquals(Float.NEGATIVE_INFINITY, c.val(3));
        assertEquals(3, v.argmax());
    }
}
