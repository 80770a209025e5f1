package dev.ember.engine.gguf;

import dev.ember.engine.runtime.LoadedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Metadata values that parse but make no sense fail the load with the key's name, not an arithmetic exception. */
class ModelMetadataErrorsTest {
    @TempDir
    Path tmp;

    private String loadError(String key, long value) throws Exception {
        byte[] bytes = Files.readAllBytes(GgufCorruptionTest.STORIES);
        GgufLayout.Kv kv = new GgufLayout(bytes).kvs.get(key);
        assertNotNull(kv, key);
        assertEquals(4, kv.type(), key + " is a uint32 in stories260K");
        Path p = tmp.resolve(key + ".gguf");
        Files.write(p, GgufLayout.putU32(bytes, kv.valuePos(), value));
        Exception e = assertThrows(RuntimeException.class, () -> {
            try (LoadedModel lm = LoadedModel.open(p, 1)) {
                lm.tokenizer();
            }
        });
        assertInstanceOf(dev.ember.engine.model.ModelLoadException.class, e, e.toString());
        return e.getMessage();
    }

    @Test
    void hugeBlockCountNamesTheKey() throws Exception {
        String m = loadError("llama.block_count", 4_000_000_000L);
        assertTrue(m.contains("llama.block_count") && m.contains("4000000000") && m.contains("out of range"), m);
    }

    @Test
    void zeroHeadsNamesTheKey() throws Exception {
        String m = loadError("llama.attention.head_count", 0);
        assertTrue(m.contains("llama.attention.head_count") && m.contains("at least 1"), m);
    }

    @Test
    void bosOutsideTheVocabularyIsAnError() throws Exception {
        String m = loadError("tokenizer.ggml.bos_token_id", 99_999);
        assertTrue(m.contains("tokenizer.ggml.bos_token_id") && m.contains("outside the vocabulary of 512 tokens"), m);
    }
}
