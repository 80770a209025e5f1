package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.api.SamplingParams;
import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Batch invariance for every family and weight type: alone or among 64, the same greedy tokens. */
class ArchitectureInvarianceTest {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"llama-tiny,F32", "llama-tiny,Q8_0", "llama-tiny,Q4_0", "qwen3-tiny,F32", "qwen3-tiny,Q8_0", "qwen3-tiny,F16",
            "qwen3moe-tiny,F32", "qwen3moe-tiny,Q8_0", "deepseek2-tiny,F32", "deepseek2-tiny,Q8_0", "deepseek4-tiny,F32", "deepseek4-tiny,Q8_0"})
    void greedyTokensAreTheSameAloneAndInABatchOf64(String preset, String type) throws Exception {
        check(preset, type);
    }

    /** The families of issue 13 (sliding windows longer and shorter than the prompts, soft-capping, Phi-3's fused tensors and LongRoPE, gpt-oss's sinks and biased MoE). */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"gemma2-tiny,F32", "gemma2-tiny,Q8_0", "gemma3-tiny,F32", "gemma3-tiny,Q8_0", "gemma3n-tiny,F32", "gemma3n-tiny,Q8_0", "phi3-tiny,F32", "phi3-tiny,Q8_0", "gpt-oss-tiny,F32", "gpt-oss-tiny,Q8_0"})
    void issue13Families(String preset, String type) throws Exception {
        check(preset, type);
    }

    /** Every KV cache type: Q8_0 keys are stored row by row and transposed as attention widens them. */
    @ParameterizedTest(name = "{0} {1} cache {2}")
    @CsvSource({"qwen3-tiny,Q8_0,Q8_0", "qwen3-tiny,Q8_0,BF16", "qwen3-tiny,Q8_0,F32", "gemma2-tiny,Q8_0,Q8_0"})
    void everyCacheType(String preset, String type, String cache) throws Exception {
        check(preset, type, KvCacheType.valueOf(cache));
    }

    private static void check(String preset, String type) throws Exception {
        check(preset, type, KvCacheType.DEFAULT);
    }

    private static void check(String preset, String type, KvCacheType cache) throws Exception {
        Path file = dir.resolve(preset + "-" + type + ".gguf");
        if (!java.nio.file.Files.exists(file)) SyntheticModel.write(preset, TensorType.valueOf(type), file, 3);
        try (Engine e = Engine.open(file, EngineOptions.defaults().withThreads(2).withMaxSequences(64).withKvCacheType(cache))) {
            SplittableRandom rnd = new SplittableRandom(17);
            List<Request> batch = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                int[] p = new int[rnd.nextInt(3, 70)];
                for (int j = 0; j < p.length; j++) p[j] = rnd.nextInt(0, 512);
                batch.add(Request.ofTokens("r" + i, p, SamplingParams.builder().maxTokens(12).ignoreEos(true).build()));
            }
            List<Result> together = e.generate(batch);
            for (int i = 0; i < 64; i += 7) {
                Result alone = e.generate(List.of(batch.get(i))).getFirst();
                assertNull(alone.error());
                assertArrayEquals(alone.tokenIds(), together.get(i).tokenIds(), preset + " " + type + " cache " + cache + " request " + i);
            }
        }
    }
}
