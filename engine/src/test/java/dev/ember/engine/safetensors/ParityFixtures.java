package dev.ember.engine.safetensors;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.cli.LogitsAccess;
import dev.ember.engine.runtime.LoadedModel;

import java.nio.file.Path;

/** The golden fixtures for tests outside this package (converter, families). */
public final class ParityFixtures {
    private ParityFixtures() {}

    /** How closely a model file follows transformers: worst logit error, and greedy tokens agreeing before the first divergence. */
    public record Agreement(double maxLogitError, int positions, int greedyAgree, int greedyTotal) {}

    /** The HF model directory of a fixture (llama, qwen2, qwen3, qwen3_moe, mixtral, deepseek_v2, deepseek_v3). */
    public static Path modelDir(String arch) { return HfFixture.load(arch).model(); }

    public static int[] tokens(String arch, String sequence) { return HfFixture.load(arch).sequence(sequence).tokens(); }

    /** Logits within 1e-4 of transformers and identical greedy continuations, for {@code model} (a directory or a GGUF). */
    public static void assertMatchesTransformers(String arch, Path model) {
        HfFixture f = HfFixture.load(arch);
        HfParityTest.logitsMatch(f, model, HfParityTest.TOLERANCE);
        HfParityTest.greedyMatches(f, model);
    }

    /** The transformers checkpoint of a DeepSeek-V4 fixture (tiny-all-kinds, tiny-real-ratios). */
    public static Path deepseekV4Dir(String name) { return V4Fixture.load(name).model(); }

    /** The tokens of a DeepSeek-V4 fixture's sequence of {@code length} tokens (12, 64 or 320). */
    public static int[] deepseekV4Tokens(String name, int length) { return V4Fixture.load(name).sequence(length).tokens(); }

    /**
     * Worst |logit − transformers| of {@code model} (a directory or a GGUF) over every position of
     * the DeepSeek-V4 fixture's sequences of the given lengths (all of them when none is given).
     */
    public static double deepseekV4Error(String name, Path model, int... lengths) {
        V4Fixture f = V4Fixture.load(name);
        return f.worstLogitError(model, lengths.length == 0 ? f.sequences()
                : java.util.Arrays.stream(lengths).mapToObj(f::sequence).toList());
    }

    public static Agreement agreement(String arch, Path model) {
        HfFixture f = HfFixture.load(arch);
        double worst = 0;
        int positions = 0;
        try (LoadedModel lm = LoadedModel.open(model, 2)) {
            for (HfFixture.Sequence s : f.sequences()) {
                float[][] got = LogitsAccess.allLogits(lm.model(), s.tokens());
                for (int i = 0; i < s.positions().length; i++) {
                    positions++;
                    for (int v = 0; v < f.vocab(); v++) worst = Math.max(worst, Math.abs(got[s.positions()[i]][v] - s.logits()[i][v]));
                }
            }
        }
        int agree = 0, total = 0;
        try (Engine engine = Engine.open(model, EngineOptions.defaults().withThreads(2))) {
            for (HfFixture.Greedy g : f.greedy()) {
                Result r = engine.generate(java.util.List.of(Request.ofTokens(g.prompt(), f.sequence(g.prompt()).tokens(),
                        SamplingParams.builder().maxTokens(g.tokens().length).ignoreEos(true).build()))).getFirst();
                int k = 0;
                while (k < g.tokens().length && k < r.tokenIds().length && g.tokens()[k] == r.tokenIds()[k]) k++;
                agree += k;
                total += g.tokens().length;
            }
        }
        return new Agreement(worst, positions, agree, total);
    }
}
