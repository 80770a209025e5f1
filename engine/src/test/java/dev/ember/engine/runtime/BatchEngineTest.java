package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.api.TokenLogprob;
import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.sample.LogSoftmax;
import dev.ember.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** Prefix sharing, preemption, eviction and scoring of the batch engine, on a real model. */
class BatchEngineTest {
    static final SplittableRandom RND = new SplittableRandom(11);

    static LocalEngine open(EngineOptions o) {
        return (LocalEngine) Engine.open(SharedFiles.model("stories260K.gguf"), o);
    }

    static int[] randomTokens(int n) {
        int[] t = new int[n];
        t[0] = 1;
        for (int i = 1; i < n; i++) t[i] = RND.nextInt(3, 512);
        return t;
    }

    static int[] concat(int[] a, int[] b) {
        int[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static SamplingParams greedy(int n) {
        return SamplingParams.builder().maxTokens(n).ignoreEos(true).logprobs(5).build();
    }

    @Test
    void aPrefixHitGivesTheSameTokensAndLogitsAsNoHit() {
        int[] prefix = randomTokens(50);
        int[] a = concat(prefix, new int[]{300, 301, 302, 303, 304});
        int[] b = concat(prefix, new int[]{400, 401, 402});
        Result coldB;
        try (LocalEngine cold = open(EngineOptions.defaults().withThreads(2))) {
            cold.setPrefixSharing(false);
            coldB = cold.generate(List.of(Request.ofTokens("b", b, greedy(20)))).getFirst();
            assertEquals(0, coldB.cachedPromptTokens());
        }
        try (LocalEngine warm = open(EngineOptions.defaults().withThreads(2))) {
            Result first = warm.generate(List.of(Request.ofTokens("a", a, greedy(20)))).getFirst();
            assertEquals(0, first.cachedPromptTokens());
            Result hitB = warm.generate(List.of(Request.ofTokens("b", b, greedy(20)))).getFirst();
            // 3 full blocks of 16 come from the tree; the 2 remaining prefix tokens from a copied partial block.
            assertEquals(50, hitB.cachedPromptTokens());
            assertArrayEquals(coldB.tokenIds(), hitB.tokenIds());
            assertLogprobsEqual(coldB.logprobs(), hitB.logprobs());
            // The whole prompt cached: only its last token is recomputed.
            Result again = warm.generate(List.of(Request.ofTokens("b2", b, greedy(20)))).getFirst();
            assertEquals(b.length - 1, again.cachedPromptTokens());
            assertArrayEquals(coldB.tokenIds(), again.tokenIds());
            assertLogprobsEqual(coldB.logprobs(), again.logprobs());
        }
    }

    static void assertLogprobsEqual(List<TokenLogprob> x, List<TokenLogprob> y) {
        assertEquals(x.size(), y.size());
        for (int i = 0; i < x.size(); i++) {
            assertEquals(x.get(i).logprob(), y.get(i).logprob(), "logprob at " + i);
            assertEquals(x.get(i).top(), y.get(i).top(), "alternatives at " + i);
        }
    }

    @Test
    void poolExhaustionPreemptsAndRecomputesWithoutChangingOutput() {
        List<Request> reqs = new ArrayList<>();
        for (int i = 0; i < 8; i++) reqs.add(Request.ofTokens("p" + i, randomTokens(30), greedy(100)));
        List<Result> roomy;
        try (LocalEngine e = open(EngineOptions.defaults().withThreads(2))) {
            roomy = e.generate(reqs);
        }
        long blockBytes;
        try (LocalEngine e = open(EngineOptions.defaults().withThreads(2))) {
            var m = e.loaded().model();
            blockBytes = dev.ember.engine.kv.KvBlockPool.bytesPerToken(m.keyWidths(), m.valueWidths()) * LocalEngine.BLOCK_SIZE;
        }
        // 24 blocks = 384 positions for 8 sequences that need 130 each: they cannot all run at once.
        try (LocalEngine tight = open(EngineOptions.defaults().withThreads(2).withKvCacheBytes(24 * blockBytes))) {
            List<Result> squeezed = tight.generate(reqs);
            String state = tight.schedulerState().join();
            for (int i = 0; i < reqs.size(); i++) {
                assertNull(squeezed.get(i).error());
                assertArrayEquals(roomy.get(i).tokenIds(), squeezed.get(i).tokenIds(), "request " + i + " (" + state + ")");
            }
            assertFalse(state.contains("preemptions 0"), "expected preemptions: " + state);
        }
    }

    @Test
    void unusedCachedBlocksAreEvictedUnderPressure() {
        long blockBytes = 5L * 2 * 32 * 4 * LocalEngine.BLOCK_SIZE; // 5 layers, K and V, 4 heads x 8, floats
        try (LocalEngine e = open(EngineOptions.defaults().withThreads(2).withKvCacheBytes(20 * blockBytes))) {
            int[] old = randomTokens(80);
            assertNull(e.generate(List.of(Request.ofTokens("old", old, greedy(4)))).getFirst().error());
            // Fill the pool many times over with other prompts; each needs room that only eviction frees.
            for (int i = 0; i < 10; i++) {
                Result r = e.generate(List.of(Request.ofTokens("n" + i, randomTokens(150), greedy(4)))).getFirst();
                assertNull(r.error(), r.error());
            }
            Result oldAgain = e.generate(List.of(Request.ofTokens("old2", old, greedy(4)))).getFirst();
            // Its blocks were evicted; at most the shared BOS comes back through a partial block copy.
            assertTrue(oldAgain.cachedPromptTokens() <= 1, "the least recently used prefix should have been evicted: " + oldAgain.cachedPromptTokens());
            int[] recent = randomTokens(70);
            e.generate(List.of(Request.ofTokens("r1", recent, greedy(4))));
            assertEquals(64, e.generate(List.of(Request.ofTokens("r2", recent, greedy(4)))).getFirst().cachedPromptTokens() / 16 * 16);
        }
    }

    @Test
    void choiceScoresEqualPerTokenLogSoftmaxAndShareThePrompt() {
        try (LocalEngine e = open(EngineOptions.defaults().withThreads(2))) {
            String prompt = "Once upon a time, there was a little girl named Lily. She loved to play";
            List<String> choices = List.of(" outside in the park.", " with her friends.", " xylophone quantum.");
            List<ScoreResult> scores = e.scoreChoices(prompt, choices);
            int[] context = e.tokenize(prompt);
            for (int c = 0; c < choices.size(); c++) {
                int[] whole = e.tokenize(prompt + choices.get(c));
                assertArrayEquals(context, Arrays.copyOf(whole, context.length));
                float[][] logits = LogitsAccess.allLogits(e.loaded().model(), whole, KvCacheType.DEFAULT); // the engine's cache type: same numbers, bit for bit
                double expected = 0;
                for (int i = context.length - 1; i + 1 < whole.length; i++) {
                    expected += LogSoftmax.logProb(logits[i], 0, logits[i].length, whole[i + 1]);
                }
                assertNull(scores.get(c).error());
                assertEquals(whole.length - context.length, scores.get(c).tokens());
                assertEquals(expected, scores.get(c).logprob(), "choice " + c);
            }
            assertTrue(scores.get(0).logprob() > scores.get(2).logprob(), "a story continuation should beat nonsense");
        }
    }

    @Test
    void aDocumentsScoreDoesNotDependOnTheDocumentsScoredBesideIt() {
        int[][] docs = {randomTokens(40), randomTokens(90), randomTokens(17), randomTokens(63)};
        try (LocalEngine e = open(EngineOptions.defaults().withThreads(2))) {
            e.setPrefixSharing(false);
            List<java.util.concurrent.CompletableFuture<ScoreResult>> together = Arrays.stream(docs).map(e::scoreTokens).toList();
            for (int i = 0; i < docs.length; i++) {
                ScoreResult batched = together.get(i).join(), alone = e.scoreTokens(docs[i]).join();
                assertNull(batched.error());
                assertEquals(docs[i].length - 1, batched.tokens());
                assertEquals(Double.doubleToLongBits(alone.logprob()), Double.doubleToLongBits(batched.logprob()), "document " + i);
            }
        }
    }

    @Test
    void longTextsAreScoredWithASlidingWindow() {
        int context = 64;
        try (LocalEngine e = open(EngineOptions.defaults().withThreads(2).withContextLength(context))) {
            int[] doc = randomTokens(150);
            ScoreResult s = e.scoreTokens(doc).join();
            assertNull(s.error());
            assertEquals(doc.length - 1, s.tokens(), "every token but the first is scored once");
            // Windows start every 32 tokens; each scores the targets the previous ones did not.
            double expected = 0; // summed per window, then across windows, as the engine documents
            int scoredUpTo = 0;
            for (int start = 0; ; start += context / 2) {
                int end = Math.min(doc.length, start + context);
                int[] w = Arrays.copyOfRange(doc, start, end);
                float[][] logits = LogitsAccess.allLogits(e.loaded().model(), w, KvCacheType.DEFAULT);
                double window = 0;
                for (int i = Math.max(0, scoredUpTo - start); i + 1 < w.length; i++) {
                    window += LogSoftmax.logProb(logits[i], 0, logits[i].length, w[i + 1]);
                }
                expected += window;
                scoredUpTo = end - 1;
                if (end == doc.length) break;
            }
            assertEquals(expected, s.logprob());
        }
    }
}
