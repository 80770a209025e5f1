package dev.ember.engine.shipped;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.api.ScoreResult;
import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.runtime.LocalEngine;
import dev.ember.engine.util.Json;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Ember's shipped model (examples/models/ember-v4-story.gguf, a DeepSeek-V4-style model trained by
 * tools/train): logits equal transformers' on the same weights, its tokenizer equals the Hugging
 * Face one, greedy text equals transformers' sample, and real text scores far better than the
 * same words shuffled.
 */
class ShippedModelTest {
    static Path repo() { return Path.of(System.getProperty("ember.repo.dir", "..")); }
    static Path model() { return repo().resolve("examples/models/ember-v4-story.gguf"); }
    static Path fixtures() { return repo().resolve("engine/src/test/resources/fixtures/ember-v4-story"); }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> golden() throws Exception {
        return (List<Map<String, Object>>) Json.parse(Files.readString(fixtures().resolve("golden.json")));
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    @Test
    void logitsAndTokensMatchTransformersOnTheShippedWeights() throws Exception {
        try (LoadedModel lm = LoadedModel.open(model(), 2)) {
            int vocab = lm.model().config().vocabSize();
            for (Map<String, Object> g : golden()) {
                int[] tokens = ints(g.get("tokens"));
                assertArrayEquals(tokens, lm.tokenizer().encode((String) g.get("text"), true, false), "tokens of " + g.get("text"));
                ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(fixtures().resolve((String) g.get("logits")))).order(ByteOrder.LITTLE_ENDIAN);
                float[][] ours = LogitsAccess.allLogits(lm.model(), tokens);
                double max = 0;
                for (int p = 0; p < tokens.length; p++) {
                    for (int v = 0; v < vocab; v++) max = Math.max(max, Math.abs(ours[p][v] - b.getFloat()));
                }
                System.out.printf("shipped model, %d tokens: max |logit - transformers| = %.2e%n", tokens.length, max);
                assertTrue(max < 1e-3, "max abs diff " + max);
            }
        }
    }

    /**
     * classify's path on the shipped model (state beside the blocks, 64-token cache blocks): each
     * row's choices are queued together, the prompt is computed once (the others fork from the
     * first), and the scores are bit for bit those of an engine without prefix sharing.
     */
    @Test
    void choicesShareTheirPromptAndScoreAsWithoutSharing() {
        List<String> prompts = List.of("Tom had a red ball. He threw it to his dog, and the dog was", "The sun was hot. Lily wanted to",
                "Once upon a time, a little bird sang a song every morning. One day the bird felt");
        List<String> labels = List.of(" happy", " sad", " sleepy");
        List<List<ScoreResult>> shared = new ArrayList<>(), alone = new ArrayList<>();
        long expectedCached = 0;
        try (LocalEngine e = (LocalEngine) Engine.open(model(), EngineOptions.defaults().withThreads(2))) {
            for (String p : prompts) {
                shared.add(e.scoreChoices(p, labels));
                expectedCached += (labels.size() - 1L) * (e.tokenize(p, false).length - 1);
            }
            assertEquals(0, e.stats().cachedPromptTokens(), "no prompt fills a 64-token cache block");
            assertEquals(expectedCached, e.stats().forkedPromptTokens(), "each prompt computed once: the other choices fork");
        }
        try (LocalEngine e = (LocalEngine) Engine.open(model(), EngineOptions.defaults().withThreads(2))) {
            e.setPrefixSharing(false);
            for (String p : prompts) alone.add(e.scoreChoices(p, labels));
            assertEquals(0, e.stats().cachedPromptTokens() + e.stats().forkedPromptTokens());
        }
        for (int i = 0; i < prompts.size(); i++) {
            for (int c = 0; c < labels.size(); c++) {
                assertNull(shared.get(i).get(c).error());
                assertEquals(alone.get(i).get(c).logprob(), shared.get(i).get(c).logprob(), "prompt " + i + ", label " + c);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void greedyTextIsTransformersSampleAndRealTextBeatsShuffled() throws Exception {
        Map<String, Object> eval = (Map<String, Object>) Json.parse(Files.readString(repo().resolve("examples/models/ember-v4-story/eval.json")));
        Map<String, Object> sample = ((List<Map<String, Object>>) eval.get("samples")).getFirst();
        try (LocalEngine e = (LocalEngine) Engine.open(model(), EngineOptions.defaults().withThreads(2))) {
            Result r = e.generate(List.of(Request.ofText("s", (String) sample.get("prompt"), SamplingParams.greedy(40)))).getFirst();
            String reference = (String) sample.get("text");
            String firstSentence = reference.substring(0, reference.indexOf('.') + 1);
            assertTrue(r.text().startsWith(firstSentence), "Ember: " + r.text() + "\ntransformers: " + reference);

            List<Double> real = new ArrayList<>(), shuffled = new ArrayList<>();
            for (String line : Files.readAllLines(repo().resolve("examples/data/corpus.jsonl"))) {
                Map<String, Object> doc = (Map<String, Object>) Json.parse(line);
                ScoreResult s = e.score((String) doc.get("text"));
                assertNull(s.error());
                ("real".equals(doc.get("kind")) ? real : shuffled).add(s.perplexity());
            }
            double realMean = real.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double shuffledMean = shuffled.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            System.out.printf("shipped model perplexity: real %.3f, shuffled %.1f (%d + %d documents)%n", realMean, shuffledMean, real.size(), shuffled.size());
            assertTrue(realMean < 3 && shuffledMean > 30 * realMean, "real " + realMean + " shuffled " + shuffledMean);
        }
    }
}
