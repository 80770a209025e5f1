package dev.ember.engine.safetensors;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.runtime.LoadedModel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Parity with transformers 5.17 (float32, eager attention) on the golden fixtures: an HF model
 * directory loads through {@link LoadedModel} and gives the logits of every stored position within
 * 1e-4, and the engine's greedy continuation (with its KV cache) is identical.
 */
class HfParityTest {
    static final double TOLERANCE = 1e-4;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "qwen3"})
    void denseFamilies(String arch) {
        check(arch);
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen3_moe", "mixtral"})
    void moeFamilies(String arch) {
        check(arch);
    }

    @ParameterizedTest
    @ValueSource(strings = {"deepseek_v2", "deepseek_v3"})
    void mlaFamilies(String arch) {
        check(arch);
    }

    /**
     * Gemma 2 (soft-capping, sliding window, post norms, GeGLU, query_pre_attn_scalar), Gemma 3 (QK-norm, local/global RoPE),
     * Gemma 3n (AltUp, LAuReL, per-layer inputs, activation sparsity, KV sharing),
     * Phi-3 (fused QKV and gate/up, partial rotary, LongRoPE's long factors, sliding window; phi3_short:
     * the short factors with an explicit attention factor), gpt-oss (sinks, alternating window, biases,
     * top-k-then-softmax MoE with the clamped SwiGLU, YaRN without truncation, BF16 transposed experts;
     * gpt_oss_mxfp4: the experts in the Hub's MXFP4 blocks and scales, as openai/gpt-oss-20b ships them).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "gemma3n", "phi3", "phi3_short", "gpt_oss", "gpt_oss_mxfp4"})
    void issue13Families(String arch) {
        check(arch);
    }

    static void check(String arch) {
        HfFixture f = HfFixture.load(arch);
        logitsMatch(f, f.model(), TOLERANCE);
        greedyMatches(f, f.model());
    }

    /** Every stored position's logits of every fixture sequence, within {@code tolerance}. */
    static void logitsMatch(HfFixture f, Path model, double tolerance) {
        try (LoadedModel lm = LoadedModel.open(model, 2)) {
            for (HfFixture.Sequence s : f.sequences()) {
                float[][] got = LogitsAccess.allLogits(lm.model(), s.tokens());
                assertEquals(s.tokens().length, got.length);
                double worst = 0;
                int worstPos = -1;
                for (int i = 0; i < s.positions().length; i++) {
                    int p = s.positions()[i];
                    assertEquals(f.vocab(), got[p].length);
                    for (int v = 0; v < f.vocab(); v++) {
                        double d = Math.abs(got[p][v] - s.logits()[i][v]);
                        if (d > worst || Double.isNaN(d)) {
                            worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                            worstPos = p;
                        }
                    }
                }
                assertTrue(worst <= tolerance, f.arch() + " " + s.name() + ": max |logit diff| " + worst + " at position " + worstPos
                        + " (tolerance " + tolerance + ")");
            }
        }
    }

    /** The 24-token greedy continuations of the short and medium sequences, identical. */
    static void greedyMatches(HfFixture f, Path model) {
        try (Engine engine = Engine.open(model, EngineOptions.defaults().withThreads(2).withMaxSequences(4))) {
            List<Request> requests = new ArrayList<>();
            List<HfFixture.Greedy> expected = f.greedy();
            for (HfFixture.Greedy g : expected) {
                requests.add(Request.ofTokens(g.prompt(), f.sequence(g.prompt()).tokens(),
                        SamplingParams.builder().maxTokens(g.tokens().length).ignoreEos(true).build()));
            }
            List<Result> results = engine.generate(requests);
            for (int i = 0; i < expected.size(); i++) {
                Result r = results.get(i);
                assertTrue(r.ok(), r.error());
                assertArrayEquals(expected.get(i).tokens(), r.tokenIds(), f.arch() + " greedy from " + expected.get(i).prompt());
            }
        }
    }
}
