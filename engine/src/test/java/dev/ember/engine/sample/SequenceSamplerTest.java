package dev.ember.engine.sample;

import dev.ember.engine.api.SamplingParams;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class SequenceSamplerTest {

    private static final int[] NO_PROMPT = new int[0];

    private static float[] randomLogits(Random r, int n, float scale) {
        float[] l = new float[n];
        for (int i = 0; i < n; i++) l[i] = (float) (r.nextGaussian() * scale);
        return l;
    }

    private static int argmax(float[] l, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (l[off + i] > l[off + best]) best = i;
        return best;
    }

    /** log of each weight, so that with temperature 1 the probabilities are weights / sum. */
    private static float[] logOf(double... weights) {
        float[] l = new float[weights.length];
        for (int i = 0; i < weights.length; i++) l[i] = (float) Math.log(weights[i]);
        return l;
    }

    private static double[] frequencies(SequenceSampler s, float[] logits, int draws) {
        double[] f = new double[logits.length];
        for (int i = 0; i < draws; i++) f[s.next(logits, 0)]++;
        for (int i = 0; i < f.length; i++) f[i] /= draws;
        return f;
    }

    @Test
    void greedyIsArgmaxOverTheRowAtItsOffset() {
        Random r = new Random(1);
        int vocab = 1000;
        float[] batch = randomLogits(r, 3 * vocab, 3f);
        SequenceSampler s = new SequenceSampler(SamplingParams.greedy(10), vocab, NO_PROMPT);
        for (int row = 0; row < 3; row++) {
            assertEquals(argmax(batch, row * vocab, vocab), s.next(batch, row * vocab));
        }
    }

    @Test
    void greedyTiesGoToTheLowestId() {
        float[] l = {0f, 5f, 1f, 5f, 5f};
        assertEquals(1, new SequenceSampler(SamplingParams.greedy(1), 5, NO_PROMPT).next(l, 0));
    }

    @Test
    void neverWritesTheCallersLogits() {
        Random r = new Random(2);
        int vocab = 150_000;
        float[] l = randomLogits(r, vocab, 4f);
        float[] copy = l.clone();
        SamplingParams p = SamplingParams.builder().temperature(0.8f).topK(40).topP(0.9f).minP(0.05f)
                .repetitionPenalty(1.3f).presencePenalty(0.5f).frequencyPenalty(0.5f).seed(3).logprobs(5).build();
        SequenceSampler s = new SequenceSampler(p, vocab, new int[]{1, 2, 3, 4, 5});
        for (int i = 0; i < 5; i++) {
            int t = s.next(l, 0);
            assertNotNull(s.logprob(l, 0, t, id -> "t" + id));
        }
        SequenceSampler plain = new SequenceSampler(SamplingParams.builder().temperature(1f).topP(0.95f).seed(4).build(), vocab, NO_PROMPT);
        for (int i = 0; i < 5; i++) plain.next(l, 0);
        assertArrayEquals(copy, l);
    }

    @Test
    void sameSeedSameTokensWhateverElseIsSampled() {
        Random r = new Random(5);
        int vocab = 500;
        float[][] steps = new float[40][];
        for (int i = 0; i < steps.length; i++) steps[i] = randomLogits(r, vocab, 1f);
        SamplingParams p = SamplingParams.builder().temperature(1f).topK(100).topP(0.95f).presencePenalty(0.3f).seed(42).build();
        SequenceSampler a = new SequenceSampler(p, vocab, new int[]{7, 8});
        SequenceSampler b = new SequenceSampler(p, vocab, new int[]{7, 8});
        SequenceSampler other = new SequenceSampler(p.toBuilder().seed(43).build(), vocab, NO_PROMPT);
        for (float[] step : steps) {
            other.next(step, 0);              // another request interleaved must not shift b's stream
            assertEquals(a.next(step, 0), b.next(step, 0));
        }
    }

    @Test
    void differentSeedsGiveDifferentTokens() {
        Random r = new Random(6);
        int vocab = 500;
        float[][] steps = new float[40][];
        for (int i = 0; i < steps.length; i++) steps[i] = randomLogits(r, vocab, 0.5f);
        SamplingParams p = SamplingParams.builder().temperature(1f).seed(1).build();
        SequenceSampler a = new SequenceSampler(p, vocab, NO_PROMPT);
        SequenceSampler b = new SequenceSampler(p.toBuilder().seed(2).build(), vocab, NO_PROMPT);
        int differ = 0;
        for (float[] step : steps) if (a.next(step, 0) != b.next(step, 0)) differ++;
        assertTrue(differ > 30, "near-flat distributions over 500 tokens should rarely agree, agreed " + (40 - differ) + "/40");
    }

    @Test
    void topKOneIsGreedy() {
        Random r = new Random(7);
        int vocab = 32_000;
        SequenceSampler k1 = new SequenceSampler(SamplingParams.builder().temperature(1.5f).topK(1).seed(9).build(), vocab, NO_PROMPT);
        SequenceSampler greedy = new SequenceSampler(SamplingParams.greedy(100), vocab, NO_PROMPT);
        for (int i = 0; i < 50; i++) {
            float[] l = randomLogits(r, vocab, 2f);
            l[r.nextInt(vocab)] = l[argmax(l, 0, vocab)];   // plant a tie: both must take the lower id
            assertEquals(greedy.next(l, 0), k1.next(l, 0));
        }
    }

    @Test
    void tinyTopPKeepsOnlyTheBest() {
        Random r = new Random(8);
        int vocab = 10_000;
        float[] l = randomLogits(r, vocab, 1f);
        int best = argmax(l, 0, vocab);
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(5f).topP(1e-6f).seed(10).build(), vocab, NO_PROMPT);
        for (int i = 0; i < 200; i++) assertEquals(best, s.next(l, 0));
    }

    @Test
    void topKDrawsOnlyFromTheKBest() {
        Random r = new Random(11);
        int vocab = 5000;
        float[] l = randomLogits(r, vocab, 0.1f);       // nearly flat: without top-k any token is likely
        float[] sorted = l.clone();
        Arrays.sort(sorted);
        float kth = sorted[vocab - 5];
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1f).topK(5).seed(12).build(), vocab, NO_PROMPT);
        boolean[] seen = new boolean[vocab];
        for (int i = 0; i < 2000; i++) {
            int t = s.next(l, 0);
            assertTrue(l[t] >= kth, "token " + t + " is not among the 5 best");
            seen[t] = true;
        }
        int distinct = 0;
        for (boolean b : seen) if (b) distinct++;
        assertEquals(5, distinct);
    }

    @Test
    void topPCutsAtTheTokenThatReachesP() {
        // p = .1 .2 .3 .4; sorted .4, .3 reach .7 >= .65, so {3, 2} renormalized to 4/7, 3/7.
        float[] l = logOf(1, 2, 3, 4);
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1f).topP(0.65f).seed(13).build(), 4, NO_PROMPT);
        double[] f = frequencies(s, l, 50_000);
        assertEquals(0.0, f[0]);
        assertEquals(0.0, f[1]);
        assertEquals(4.0 / 7, f[3], 0.01);
        assertEquals(3.0 / 7, f[2], 0.01);
    }

    @Test
    void topPIsMeasuredAfterTopKRenormalizes() {
        // top-k 3 keeps .4 .3 .2 (mass .9): renormalized .444 + .333 = .778 >= .75 keeps two tokens.
        // Measured on the full vocabulary .4 + .3 = .7 < .75 would keep three.
        float[] l = logOf(1, 2, 3, 4);
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1f).topK(3).topP(0.75f).seed(14).build(), 4, NO_PROMPT);
        double[] f = frequencies(s, l, 20_000);
        assertEquals(0.0, f[0]);
        assertEquals(0.0, f[1]);
        assertEquals(4.0 / 7, f[3], 0.015);
    }

    @Test
    void topPWithoutTopKWidensTheCandidateListWhenTheNucleusIsLarge() {
        // Flat over 1000 tokens: p = 0.5 needs exactly the first 500 (ties keep lower ids), more than
        // the initial 64 candidates, so the selection has to widen.
        int vocab = 1000;
        float[] l = new float[vocab];
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1f).topP(0.5f).seed(15).build(), vocab, NO_PROMPT);
        int maxSeen = -1;
        for (int i = 0; i < 20_000; i++) maxSeen = Math.max(maxSeen, s.next(l, 0));
        assertTrue(maxSeen < 500, "drew token " + maxSeen + " outside the nucleus");
        assertTrue(maxSeen > 480, "the nucleus should be 500 tokens wide, saw up to " + maxSeen);
    }

    /** Reference: full sort, then top-k, top-p renormalized over the survivors, then min-p. */
    private static int[] referenceKept(float[] l, int topK, float topP, float minP) {
        int n = l.length;
        Integer[] order = java.util.stream.IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, java.util.Comparator.<Integer>comparingDouble(i -> -l[i]).thenComparingInt(i -> i));
        int k = topK > 0 ? Math.min(topK, n) : n;
        double max = l[order[0]];
        double z = 0;
        for (int i = 0; i < k; i++) z += Math.exp(l[order[i]] - max);
        int kept = k;
        double cum = 0;
        for (int i = 0; i < k && topP < 1; i++) {
            cum += Math.exp(l[order[i]] - max) / z;
            if (cum >= topP) { kept = i + 1; break; }
        }
        double minLogit = minP > 0 ? max + Math.log(minP) : Double.NEGATIVE_INFINITY;
        int m = 0;
        while (m < kept && l[order[m]] >= minLogit) m++;
        int[] ids = new int[Math.max(m, 1)];
        for (int i = 0; i < ids.length; i++) ids[i] = order[i];
        Arrays.sort(ids);
        return ids;
    }

    @Test
    void keptSetsMatchAFullSortReference() {
        Random r = new Random(30);
        int vocab = 20_000;
        float[][] rows = {randomLogits(r, vocab, 0.3f), randomLogits(r, vocab, 2f), randomLogits(r, vocab, 6f), new float[vocab]};
        rows[1][77] = 25f;   // one dominant token
        float[][] settings = {{0, 0.9f, 0}, {0, 0.5f, 0}, {0, 0.99f, 0.01f}, {0, 1f, 0.3f}, {40, 0.9f, 0}, {500, 0.8f, 0.05f}, {0, 0.95f, 0}};
        for (float[] row : rows) {
            for (float[] st : settings) {
                SamplingParams p = SamplingParams.builder().temperature(1f).topK((int) st[0]).topP(st[1]).minP(st[2]).build();
                int[] expected = referenceKept(row, (int) st[0], st[1], st[2]);
                int[] actual = new SequenceSampler(p, vocab, NO_PROMPT).keptTokens(row, 0);
                // FastExp and summation order may move a boundary token on a knife's edge; allow one.
                assertTrue(Math.abs(expected.length - actual.length) <= 1,
                        Arrays.toString(st) + ": expected " + expected.length + " kept, got " + actual.length);
                int common = 0;
                for (int id : actual) if (Arrays.binarySearch(expected, id) >= 0) common++;
                assertTrue(common >= Math.min(expected.length, actual.length) - 1, Arrays.toString(st));
            }
        }
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        // p = .1 .2 .3 .4, min-p .6: threshold .24 keeps {2, 3}, renormalized 3/7, 4/7.
        float[] l = logOf(1, 2, 3, 4);
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1f).minP(0.6f).seed(16).build(), 4, NO_PROMPT);
        double[] f = frequencies(s, l, 50_000);
        assertEquals(0.0, f[0]);
        assertEquals(0.0, f[1]);
        assertEquals(3.0 / 7, f[2], 0.01);
        assertEquals(4.0 / 7, f[3], 0.01);
    }

    @Test
    void minPWithTopKAndLargeVocabKeepsOnlyTokensAboveThreshold() {
        Random r = new Random(17);
        int vocab = 50_000;
        float[] l = randomLogits(r, vocab, 2f);
        float max = l[argmax(l, 0, vocab)];
        float minLogit = max + (float) Math.log(0.2);
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(2f).minP(0.2f).seed(18).build(), vocab, NO_PROMPT);
        for (int i = 0; i < 500; i++) assertTrue(l[s.next(l, 0)] >= minLogit);
    }

    @Test
    void temperatureShapesTheDistribution() {
        float[] l = logOf(1, 2, 3, 4);     // at temperature T the probabilities are proportional to w^(1/T)
        for (float t : new float[]{0.5f, 1f, 2f}) {
            SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(t).seed(19).build(), 4, NO_PROMPT);
            double[] f = frequencies(s, l, 100_000);
            double z = 0;
            for (int i = 1; i <= 4; i++) z += Math.pow(i, 1 / t);
            for (int i = 0; i < 4; i++) {
                double expected = Math.pow(i + 1, 1 / t) / z;
                assertEquals(expected, f[i], 0.01, "temperature " + t + ", token " + i);
            }
        }
    }

    @Test
    void verySmallTemperatureIsEffectivelyGreedy() {
        Random r = new Random(20);
        float[] l = randomLogits(r, 1000, 1f);
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1e-4f).seed(21).build(), 1000, NO_PROMPT);
        for (int i = 0; i < 100; i++) assertEquals(argmax(l, 0, 1000), s.next(l, 0));
    }

    @Test
    void maskedTokensAreNeverDrawn() {
        float[] l = {Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY, 0f, Float.NaN};
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().temperature(1f).seed(22).build(), 5, NO_PROMPT);
        SequenceSampler k = new SequenceSampler(SamplingParams.builder().temperature(1f).topK(4).seed(22).build(), 5, NO_PROMPT);
        for (int i = 0; i < 1000; i++) {
            int a = s.next(l, 0);
            int b = k.next(l, 0);
            assertTrue(a == 1 || a == 3, "drew " + a);
            assertTrue(b == 1 || b == 3, "drew " + b);
        }
    }

    @Test
    void presencePenaltyFromThePromptChangesTheGreedyChoice() {
        float[] l = {2.0f, -1.0f, 0.5f, 3.0f};
        SamplingParams p = SamplingParams.builder().presencePenalty(2f).penaltyLastN(64).build();
        assertEquals(0, new SequenceSampler(p, 4, new int[]{3}).next(l, 0));     // 3 - 2 = 1 < 2
        assertEquals(3, new SequenceSampler(p, 4, new int[]{1}).next(l, 0));
    }

    @Test
    void penaltyWindowForgetsTokensOlderThanLastN() {
        float[] l = {2.0f, -1.0f, 0.5f, 3.0f};
        SamplingParams p = SamplingParams.builder().presencePenalty(2f).penaltyLastN(1).build();
        assertEquals(3, new SequenceSampler(p, 4, new int[]{3, 0}).next(l, 0));  // only token 0 is in the window
        assertEquals(0, new SequenceSampler(p, 4, new int[]{0, 3}).next(l, 0));
        SamplingParams off = p.toBuilder().penaltyLastN(0).build();                // 0 disables, as in llama.cpp
        assertEquals(3, new SequenceSampler(off, 4, new int[]{3}).next(l, 0));
    }

    @Test
    void sampledTokensArePenalizedOnLaterSteps() {
        // frequency 0.6 per occurrence: token 0 (1.0) must give way to token 1 (0.5) after one use.
        float[] l = {1.0f, 0.5f, 0.0f};
        SamplingParams p = SamplingParams.builder().frequencyPenalty(0.6f).penaltyLastN(-1).build();
        SequenceSampler s = new SequenceSampler(p, 3, NO_PROMPT);
        assertEquals(0, s.next(l, 0));   // 1.0, 0.5, 0.0
        assertEquals(1, s.next(l, 0));   // 0.4, 0.5, 0.0
        assertEquals(0, s.next(l, 0));   // 0.4, -0.1, 0.0
        assertEquals(2, s.next(l, 0));   // -0.2, -0.1, 0.0
    }
}
