package dev.ember.engine.model.v4;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.model.Model;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.util.Json;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * DeepSeek-V4 against transformers' DeepseekV4ForCausalLM (fixtures from tools/fixtures/make_v4_fixtures.py):
 * all-position logits, greedy continuations through the engine's cache, and chunking invariance.
 */
class DeepseekV4ParityTest {
    static Path fixture(String name) {
        return Path.of(System.getProperty("ember.repo.dir", "..")).resolve("engine/src/test/resources/fixtures/deepseek_v4").resolve(name);
    }

    static float[] readLogits(Path file) throws Exception {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    static int[] ints(List<Object> l) {
        return l.stream().mapToInt(o -> ((Number) o).intValue()).toArray();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> golden(String name) throws Exception {
        return (Map<String, Object>) Json.parse(Files.readString(fixture(name).resolve("golden.json")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-all-kinds", "tiny-real-ratios", "tiny-clamped"})
    @SuppressWarnings("unchecked")
    void logitsMatchTransformersAndChunkingChangesNothing(String name) throws Exception {
        Map<String, Object> g = golden(name);
        try (LoadedModel lm = LoadedModel.open(fixture(name).resolve("model.gguf"), 2)) {
            Model m = lm.model();
            int vocab = m.config().vocabSize();
            for (Map<String, Object> seq : (List<Map<String, Object>>) g.get("sequences")) {
                int[] tokens = ints((List<Object>) seq.get("tokens"));
                float[] ref = readLogits(fixture(name).resolve((String) seq.get("logits")));
                float[][] chunked = LogitsAccess.allLogits(m, tokens, 64);
                double maxDiff = 0;
                for (int p = 0; p < tokens.length; p++) {
                    for (int v = 0; v < vocab; v++) maxDiff = Math.max(maxDiff, Math.abs(chunked[p][v] - ref[p * vocab + v]));
                }
                System.out.printf("%s, %d tokens: max |logit - transformers| = %.2e%n", name, tokens.length, maxDiff);
                assertTrue(maxDiff <= 1e-4, name + " " + tokens.length + " tokens: max abs diff " + maxDiff);
                // One pass, odd chunks and token-by-token decode all give the same logits.
                float[][] single = LogitsAccess.allLogits(m, tokens, tokens.length);
                float[][] odd = LogitsAccess.allLogits(m, tokens, 7);
                float[][] decode = LogitsAccess.allLogits(m, tokens, 1);
                for (int p = 0; p < tokens.length; p++) {
                    assertArrayEquals(single[p], chunked[p], 0f, "chunk 64 vs one pass at " + p);
                    assertArrayEquals(single[p], odd[p], 0f, "chunk 7 vs one pass at " + p);
                    assertArrayEquals(single[p], decode[p], 0f, "decode vs one pass at " + p);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-all-kinds", "tiny-real-ratios", "tiny-clamped"})
    @SuppressWarnings("unchecked")
    void greedyContinuationsMatchTransformers(String name) throws Exception {
        Map<String, Object> g = golden(name);
        try (Engine e = Engine.open(fixture(name).resolve("model.gguf"), EngineOptions.defaults().withThreads(2))) {
            for (Map<String, Object> c : (List<Map<String, Object>>) g.get("greedy")) {
                int[] prompt = ints((List<Object>) c.get("prompt"));
                int[] expected = ints((List<Object>) c.get("generated"));
                Result r = e.generate(List.of(Request.ofTokens("g", prompt,
                        SamplingParams.builder().maxTokens(expected.length).ignoreEos(true).build()))).getFirst();
                assertNull(r.error());
                assertArrayEquals(expected, r.tokenIds(), name + " greedy from " + prompt.length + " tokens");
            }
        }
    }
}
