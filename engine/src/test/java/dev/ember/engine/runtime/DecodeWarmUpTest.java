package dev.ember.engine.runtime;

import dev.ember.engine.kv.BlockTable;
import dev.ember.engine.kv.KvBlockPool;
import dev.ember.engine.model.ForwardBatch;
import dev.ember.engine.model.Model;
import dev.ember.engine.synth.SyntheticModel;
import dev.ember.engine.tensor.TensorType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The load-time decode warm-up decodes in a cache of its own and leaves the model computing the
 * same bits; encoders skip it; its time cap is read from {@code -Dember.warmUp.seconds}.
 */
class DecodeWarmUpTest {
    @TempDir
    static Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"qwen3-tiny,Q4_0", "qwen3-tiny,Q8_0", "deepseek2-tiny,Q8_0", "deepseek4-tiny,F32", "gemma3n-tiny,Q8_0", "gpt-oss-tiny,F32"})
    void decodesItsStepsAndLeavesTheModelsLogitsUnchanged(String preset, String type) throws Exception {
        Path file = dir.resolve(preset + "-" + type + ".gguf");
        if (!Files.exists(file)) SyntheticModel.write(preset, TensorType.valueOf(type), file, 3);
        try (LoadedModel lm = LoadedModel.open(file, 2)) {
            Model m = lm.model();
            float[] before = promptLogits(m);
            assertEquals(40, DecodeWarmUp.run(m, 60, 40), "a tiny model decodes the step cap well within the time cap");
            assertArrayEquals(before, promptLogits(m), preset + " " + type + ": logits changed after the warm-up");
        }
    }

    @Test
    void encodersSkipIt() throws Exception {
        Path bert = Path.of(DecodeWarmUpTest.class.getResource("/fixtures/embed/bert-cls/golden.json").toURI()).resolveSibling("model");
        try (LoadedModel lm = LoadedModel.open(bert, 1)) {
            assertEquals(0, DecodeWarmUp.run(lm.model(), 60, 40));
        }
    }

    @Test
    void timeCapComesFromTheSystemProperty() {
        String old = System.getProperty("ember.warmUp.seconds");
        try {
            System.clearProperty("ember.warmUp.seconds");
            assertEquals(DecodeWarmUp.SECONDS, DecodeWarmUp.seconds());
            System.setProperty("ember.warmUp.seconds", "0");
            assertEquals(0, DecodeWarmUp.seconds());
            System.setProperty("ember.warmUp.seconds", " 2.5 ");
            assertEquals(2.5, DecodeWarmUp.seconds());
            System.setProperty("ember.warmUp.seconds", "soon");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, DecodeWarmUp::seconds);
            assertTrue(e.getMessage().contains("ember.warmUp.seconds") && e.getMessage().contains("soon"), e.getMessage());
        } finally {
            if (old == null) System.clearProperty("ember.warmUp.seconds");
            else System.setProperty("ember.warmUp.seconds", old);
        }
    }

    @Test
    void zeroSecondsDecodesNothing() throws Exception {
        Path file = dir.resolve("qwen3-tiny-Q8_0-zero.gguf");
        SyntheticModel.write("qwen3-tiny", TensorType.Q8_0, file, 3);
        try (LoadedModel lm = LoadedModel.open(file, 1)) {
            assertEquals(0, DecodeWarmUp.run(lm.model(), 0, 40));
        }
    }

    /** The last position's logits for a fixed 9-token prompt, in a fresh cache. */
    private static float[] promptLogits(Model m) {
        int n = 9, bs = m.cacheBlockSize();
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) tokens[i] = (i * 37 + 5) % m.config().vocabSize();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            KvBlockPool pool = KvBlockPool.forLayers(bs, n / bs + 2, m.cacheSpecs(), dev.ember.engine.api.KvCacheType.DEFAULT, arena);
            BlockTable table = new BlockTable(pool);
            table.ensureCapacity(n);
            float[] logits = new float[m.config().vocabSize()];
            m.forward(ForwardBatch.ofSequence(tokens, 0, n, 0, table, new int[]{n - 1}), logits);
            return logits;
        }
    }
}
