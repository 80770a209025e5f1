package dev.ember.engine.model.v4;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.runtime.LocalEngine;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DeepSeek-V4 shares prefixes at block boundaries aligned to its windows: a hit restores the window
 * ring, the compressed entries and the overlap halves from block snapshots, and gives exactly the
 * tokens and log-probs of a cold run.
 */
class DeepseekV4PrefixSharingTest {
    static Path model() {
        return DeepseekV4ParityTest.fixture("tiny-real-ratios").resolve("model.gguf");
    }

    @Test
    void aPrefixHitRestoresTheCompressedStateExactly() {
        SplittableRandom rnd = new SplittableRandom(5);
        int[] prefix = new int[300];
        for (int i = 0; i < prefix.length; i++) prefix[i] = rnd.nextInt(128);
        List<Request> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            int[] p = Arrays.copyOf(prefix, prefix.length + 5 + i);
            for (int j = prefix.length; j < p.length; j++) p[j] = rnd.nextInt(128);
            requests.add(Request.ofTokens("r" + i, p, SamplingParams.builder().maxTokens(12).ignoreEos(true).logprobs(3).build()));
        }
        List<Result> cold = new ArrayList<>();
        try (LocalEngine e = (LocalEngine) Engine.open(model(), EngineOptions.defaults().withThreads(2))) {
            e.setPrefixSharing(false);
            for (Request r : requests) cold.add(e.generate(List.of(r)).getFirst());
        }
        try (LocalEngine e = (LocalEngine) Engine.open(model(), EngineOptions.defaults().withThreads(2))) {
            Result first = e.generate(List.of(requests.get(0))).getFirst();
            assertEquals(0, first.cachedPromptTokens());
            assertArrayEquals(cold.get(0).tokenIds(), first.tokenIds());
            // The others run together and share the 256-token (two 128-token blocks) prefix.
            List<Result> warm = e.generate(requests.subList(1, 4));
            for (int i = 0; i < 3; i++) {
                Result w = warm.get(i), c = cold.get(i + 1);
                assertEquals(256, w.cachedPromptTokens(), "blocks are 128 tokens: window 128, ratios 4 and 128");
                assertArrayEquals(c.tokenIds(), w.tokenIds(), "request " + (i + 1));
                for (int t = 0; t < c.logprobs().size(); t++) {
                    assertEquals(c.logprobs().get(t).logprob(), w.logprobs().get(t).logprob(), "logprob " + t + " of request " + (i + 1));
                }
            }
        }
    }
}
