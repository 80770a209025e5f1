package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.FinishReason;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.sample.LogSoftmax;
import dev.ember.engine.testing.SharedFiles;
import dev.ember.engine.util.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/** The engine end to end on a real trained model: batching, invariance, scoring, bad requests. */
class LocalEngineTest {
    static LocalEngine engine;
    static List<int[]> prompts = new ArrayList<>();
    static List<int[]> expected = new ArrayList<>();

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void open() throws Exception {
        engine = (LocalEngine) Engine.open(SharedFiles.model("stories260K.gguf"), EngineOptions.defaults().withThreads(2).withMaxSequences(64));
        Map<String, Object> ref = (Map<String, Object>) Json.parse(Files.readString(SharedFiles.model("stories260K.greedy.json")));
        for (Map<String, Object> c : (List<Map<String, Object>>) ref.get("cases")) {
            prompts.add(ints((List<Object>) c.get("prompt_token_ids")));
            expected.add(ints((List<Object>) c.get("generated_token_ids")));
        }
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void concurrentGreedyRequestsReproduceTheReference() {
        List<Request> reqs = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            reqs.add(Request.ofTokens("case" + i, prompts.get(i), SamplingParams.builder().maxTokens(expected.get(i).length).ignoreEos(true).build()));
        }
        List<Result> results = engine.generate(reqs);
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            assertNull(r.error());
            assertArrayEquals(expected.get(i), r.tokenIds(), "case " + i);
            assertEquals(FinishReason.LENGTH, r.finishReason());
            assertEquals(prompts.get(i).length, r.promptTokens());
            assertEquals(expected.get(i).length, r.completionTokens());
        }
    }

    @Test
    void aRequestGivesIdenticalTokensAloneAndInABatchOf64() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<Request> batch = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            int[] p = new int[1 + rnd.nextInt(1, 40)];
            p[0] = 1;
            for (int j = 1; j < p.length; j++) p[j] = rnd.nextInt(3, 512);
            batch.add(Request.ofTokens("r" + i, p, SamplingParams.builder().maxTokens(24).ignoreEos(true).build()));
        }
        List<Result> together = engine.generate(batch);
        for (int i = 0; i < 64; i += 9) {
            Result alone = engine.generate(List.of(batch.get(i))).getFirst();
            assertArrayEquals(alone.tokenIds(), together.get(i).tokenIds(), "request " + i);
        }
    }

    @Test
    void seededSamplingIsReproduciblePerRequest() {
        SamplingParams s = SamplingParams.builder().maxTokens(30).temperature(0.9f).topP(0.95f).seed(1234).ignoreEos(true).build();
        Request r = Request.ofTokens("s", prompts.get(0), s);
        Result a = engine.generate(List.of(r)).getFirst();
        List<Request> mixed = new ArrayList<>();
        mixed.add(r);
        for (int i = 0; i < 5; i++) mixed.add(Request.ofTokens("o" + i, prompts.get(1), s.toBuilder().seed(i).build()));
        Result b = engine.generate(mixed).getFirst();
        assertArrayEquals(a.tokenIds(), b.tokenIds());
        Result c = engine.generate(List.of(Request.ofTokens("s", prompts.get(0), s.toBuilder().seed(99).build()))).getFirst();
        assertFalse(java.util.Arrays.equals(a.tokenIds(), c.tokenIds()), "another seed should give another continuation");
    }

    @Test
    void scoreEqualsTheSumOfPerTokenLogSoftmax() {
        int[] tokens = new int[expected.get(0).length + prompts.get(0).length];
        System.arraycopy(prompts.get(0), 0, tokens, 0, prompts.get(0).length);
        System.arraycopy(expected.get(0), 0, tokens, prompts.get(0).length, expected.get(0).length);
        ScoreResult s = engine.scoreTokens(tokens).join();
        assertNull(s.error());
        float[][] logits = dev.ember.engine.cli.LogitsAccess.allLogits(engine.loaded().model(), tokens, dev.ember.engine.api.KvCacheType.DEFAULT); // with the engine's cache type
        double sum = 0;
        for (int i = 0; i + 1 < tokens.length; i++) sum += LogSoftmax.logProb(logits[i], 0, logits[i].length, tokens[i + 1]);
        assertEquals(tokens.length - 1, s.tokens());
        // Batch-invariant kernels make the engine's chunking irrelevant: the sums agree exactly.
        assertEquals(sum, s.logprob());
        assertEquals(Math.exp(-sum / (tokens.length - 1)), s.perplexity());
        assertTrue(s.perplexity() > 1 && s.perplexity() < 10, "greedy text should be likely under its own model: " + s.perplexity());
    }

    @Test
    void badRequestsFailAloneAndTheEngineGoesOn() {
        List<Result> r = engine.generate(List.of(
                Request.ofTokens("empty", new int[0], SamplingParams.greedy(5)),
                Request.ofTokens("bad-token", new int[]{1, 100000}, SamplingParams.greedy(5)),
                Request.ofTokens("too-long", new int[600], SamplingParams.greedy(5)),
                Request.ofTokens("ok", prompts.get(0), SamplingParams.builder().maxTokens(5).ignoreEos(true).build()),
                Request.ofTokens("zero", prompts.get(0), SamplingParams.greedy(0))));
        assertEquals(FinishReason.ERROR, r.get(0).finishReason());
        assertTrue(r.get(0).error().contains("empty"));
        assertTrue(r.get(1).error().contains("vocabulary"));
        assertTrue(r.get(2).error().contains("context length"));
        assertNull(r.get(3).error());
        assertArrayEquals(java.util.Arrays.copyOf(expected.get(0), 5), r.get(3).tokenIds());
        assertEquals(0, r.get(4).completionTokens());
        assertEquals(FinishReason.LENGTH, r.get(4).finishReason());
    }

    @Test
    void generationStopsAtTheContextLength() {
        int[] p = new int[500];
        p[0] = 1;
        for (int i = 1; i < p.length; i++) p[i] = 300 + i % 100;
        Result r = engine.generate(List.of(Request.ofTokens("ctx", p, SamplingParams.builder().maxTokens(100).ignoreEos(true).build()))).getFirst();
        assertNull(r.error());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertEquals(512 - 500 + 1, r.completionTokens(), "positions 500..511 hold generated tokens; the last sampled one has no position left");
    }

    static int[] ints(List<Object> l) {
        int[] a = new int[l.size()];
        for (int i = 0; i < a.length; i++) a[i] = ((Number) l.get(i)).intValue();
        return a;
    }
}
