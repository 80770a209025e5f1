package dev.ember.engine.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.engine.tensor.Tensor;
import dev.ember.engine.testing.Fuzz;
import dev.ember.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes the GGUF reader with whole files: the header, every metadata value through each typed
 * getter, every tensor view, and, when the file carries one, the tokenizer built from its
 * metadata, which then encodes and decodes a few strings. Bad files must fail with a
 * GgufException (or the tokenizer loader's IllegalArgumentException) naming the problem; see
 * {@link Fuzz} for the contract and the README ("Fuzzing") for how to run it longer.
 * Seeds: src/test/resources/dev/ember/engine/gguf/GgufFuzzTestInputs/open (made by FuzzSeeds).
 */
class GgufFuzzTest {
    private static final Path DIR = Fuzz.scratch("gguf");
    private static final String[] TEXTS = {"Hello world", " <s>a</s>\n\t 12 ü 日本 🦙", ""};

    @FuzzTest(maxDuration = "20s")
    void open(byte[] data) throws IOException {
        Path p = DIR.resolve("input.gguf");
        Files.write(p, data);
        try (GgufFile f = GgufFile.open(p)) {
            for (String key : f.metadata().keySet()) readEveryWay(f, key);
            for (GgufTensorInfo info : f.tensorInfos().values()) {
                Tensor t = f.tensor(info.name());
                assertEquals(info.byteSize(), t.data().byteSize());
                if (t.data().byteSize() > 0) {
                    t.data().get(ValueLayout.JAVA_BYTE, 0);
                    t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                }
            }
            if (f.has("tokenizer.ggml.model")) tokenizer(f);
        } catch (GgufException | IllegalArgumentException | dev.ember.engine.model.ModelLoadException e) {
            // ModelLoadException: a tokenizer whose metadata is inconsistent (e.g. a BOS/EOS id outside the vocabulary)
            Fuzz.expectUserError(e, GgufException.class, IllegalArgumentException.class, dev.ember.engine.model.ModelLoadException.class);
        }
    }

    /** Every getter either returns the value or throws a GgufException naming the key. */
    private static void readEveryWay(GgufFile f, String key) {
        Runnable[] reads = {
            () -> f.getString(key), () -> f.getLong(key), () -> f.getInt(key), () -> f.getDouble(key),
            () -> f.getFloat(key, 0f), () -> f.getBool(key, false), () -> f.getStringArray(key),
            () -> f.getLongArray(key), () -> f.getIntArray(key), () -> f.getFloatArray(key),
        };
        for (Runnable r : reads) {
            try {
                r.run();
            } catch (GgufException e) {
                Fuzz.expectUserError(e, GgufException.class);
                assertTrue(e.getMessage().contains(key), "the message should name the key: " + e.getMessage());
            }
        }
    }

    private static void tokenizer(GgufFile f) {
        Tokenizer tok = Tokenizer.fromGguf(f);
        int n = tok.vocabSize();
        for (String text : TEXTS) {
            for (boolean special : new boolean[]{false, true}) {
                int[] ids = tok.encode(text, special, special);
                for (int id : ids) assertTrue(id >= 0 && id < n, "id " + id + " outside the vocabulary of " + n);
                tok.decode(ids);
            }
        }
        for (int id = 0; id < Math.min(n, 64); id++) {
            tok.tokenBytes(id);
            tok.tokenText(id);
        }
    }
}
