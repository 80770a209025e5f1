package dev.ember.engine.runtime;

import dev.ember.engine.api.Engine;
import dev.ember.engine.api.EngineOptions;
import dev.ember.engine.api.Request;
import dev.ember.engine.api.Result;
import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * BatchEngineTest's prefix-hit check on the families of issue 13 (synthetic tiny models): a
 * prompt whose 50-token prefix comes from the radix cache gives the same greedy tokens and
 * log-probs as with sharing off. The prefix is longer than gemma2-tiny's and gpt-oss-tiny's 16-token windows, so
 * the window's first visible key lies inside shared blocks (phi3-tiny's 48-token window too).
 */
class FamilyPrefixSharingTest {
    @TempDir
    static Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gemma2-tiny", "gemma3-tiny", "gemma3n-tiny", "phi3-tiny", "gpt-oss-tiny"})
    void aPrefixHitGivesTheSameTokensAndLogitsAsNoHit(String preset) throws Exception {
        Path file = dir.resolve(preset + ".gguf");
        SyntheticModel.write(preset, TensorType.F32, file, 5);
        int[] prefix = BatchEngineTest.randomTokens(50);
        int[] a = BatchEngineTest.concat(prefix, new int[]{300, 301, 302, 303, 304});
        int[] b = BatchEngineTest.concat(prefix, new int[]{400, 401, 402});
        Result coldB;
        try (LocalEngine cold = (LocalEngine) Engine.open(file, EngineOptions.defaults().withThreads(2))) {
            cold.setPrefixSharing(false);
            coldB = cold.generate(List.of(Request.ofTokens("b", b, BatchEngineTest.greedy(20)))).getFirst();
            assertEquals(0, coldB.cachedPromptTokens());
        }
        try (LocalEngine warm = (LocalEngine) Engine.open(file, EngineOptions.defaults().withThreads(2))) {
            Result first = warm.generate(List.of(Request.ofTokens("a", a, BatchEngineTest.greedy(20)))).getFirst();
            assertEquals(0, first.cachedPromptTokens());
            Result hitB = warm.generate(List.of(Request.ofTokens("b", b, BatchEngineTest.greedy(20)))).getFirst();
            assertEquals(50, hitB.cachedPromptTokens());
            assertArrayEquals(coldB.tokenIds(), hitB.tokenIds(), preset);
            BatchEngineTest.assertLogprobsEqual(coldB.logprobs(), hitB.logprobs());
        }
    }
}
