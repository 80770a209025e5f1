package dev.ember.engine.sample;

import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.TokenLogprob;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LogprobsTest {

    private static final float[] L = {1f, 2f, 3f, 0.5f};
    private static final double LSE = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3) + Math.exp(0.5));

    @Test
    void chosenTokenAndTopAlternativesMatchAHandComputedLogSoftmax() {
        SamplingParams p = SamplingParams.builder().logprobs(2).build();
        SequenceSampler s = new SequenceSampler(p, 4, new int[0]);
        TokenLogprob lp = s.logprob(L, 0, 0, id -> "tok" + id);
        assertEquals(0, lp.tokenId());
        assertEquals("tok0", lp.token());
        assertEquals(1 - LSE, lp.logprob(), 1e-6);
        assertEquals(2, lp.top().size());
        assertEquals(2, lp.top().get(0).tokenId());
        assertEquals("tok2", lp.top().get(0).token());
        assertEquals(3 - LSE, lp.top().get(0).logprob(), 1e-6);
        assertEquals(1, lp.top().get(1).tokenId());
        assertEquals(2 - LSE, lp.top().get(1).logprob(), 1e-6);
    }

    @Test
    void allAlternativesSumToOne() {
        SequenceSampler s = new SequenceSampler(SamplingParams.builder().logprobs(4).build(), 4, new int[0]);
        TokenLogprob lp = s.logprob(L, 0, 3, id -> "");
        double sum = 0;
        for (TokenLogprob.Alternative a : lp.top()) sum += Math.exp(a.logprob());
        assertEquals(1.0, sum, 1e-6);
        assertEquals(4, lp.top().size());
    }

    @Test
    void reportsRawLogitsNotPenalizedOrTempered() {
        SamplingParams p = SamplingParams.builder().logprobs(0).temperature(0.3f).presencePenalty(5f).topK(1).build();
        SequenceSampler s = new SequenceSampler(p, 4, new int[]{2});
        float[] row = new float[8];
        System.arraycopy(L, 0, row, 4, 4);
        int t = s.next(row, 4);
        assertEquals(1, t);                                 // token 2 penalized to -2
        TokenLogprob lp = s.logprob(row, 4, t, id -> "x");
        assertEquals(2 - LSE, lp.logprob(), 1e-6);          // but the report is the model's own view
        assertTrue(lp.top().isEmpty());
    }

    @Test
    void nothingWhenNotRequested() {
        assertNull(new SequenceSampler(SamplingParams.greedy(1), 4, new int[0]).logprob(L, 0, 0, id -> ""));
    }

    @Test
    void logSoftmaxIsStableForLargeLogitsAndLargeVocabularies() {
        assertEquals(-Math.log1p(Math.exp(-1)), LogSoftmax.logProb(new float[]{1000f, 1001f}, 0, 2, 1), 1e-12);
        float[] flat = new float[150_000];
        assertEquals(-Math.log(150_000), LogSoftmax.logProb(flat, 0, flat.length, 123), 1e-9);
        float[] row = {7f, 1f, 2f, 3f, 0.5f};
        assertEquals(3 - LSE, LogSoftmax.logProb(row, 1, 4, 2), 1e-12);
        assertTrue(Double.isNaN(LogSoftmax.logProb(new float[]{1f, Float.NaN}, 0, 2, 0)));
        assertThrows(IndexOutOfBoundsException.class, () -> LogSoftmax.logProb(row, 0, 5, 5));
    }
}
