package dev.ember.engine.safetensors;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.gguf.GgufWriter;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.testing.Fuzz;
import dev.ember.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Fuzzes tokenizer.json loading: {@code tokenizer.json NUL tokenizer_config.json NUL text}. The
 * files are translated to GGUF tokenizer metadata and built into a tokenizer exactly as an HF
 * model directory's tokenizer is ({@link HfTokenizerJson#build}); the text is then encoded with
 * special-token parsing off and on, and every id must lie inside the vocabulary. Bad files must
 * fail with a ModelLoadException naming the file (see {@link Fuzz}).
 */
class TokenizerJsonFuzzTest {
    private static final Path DIR = Fuzz.scratch("tokenizer-json");

    @FuzzTest(maxDuration = "20s")
    void load(byte[] data) throws IOException {
        List<byte[]> parts = Fuzz.split(data, 3);
        // the two files are rewritten or removed, not the directory cleared: listing and walking it
        // per input cost more syscalls than the writes (nothing else is ever written here)
        Files.write(DIR.resolve("tokenizer.json"), parts.get(0));
        if (parts.size() > 1) Files.write(DIR.resolve("tokenizer_config.json"), parts.get(1));
        else Files.deleteIfExists(DIR.resolve("tokenizer_config.json"));
        String text = parts.size() > 2 ? new String(parts.get(2), StandardCharsets.UTF_8) : "Hello world <|im_start|>x";
        HfConfig config = new HfConfig(DIR.resolve("config.json"), Map.of("architectures", List.of("LlamaForCausalLM")));
        Tokenizer tok;
        try {
            GgufMetadata meta = new GgufMetadata();
            meta.string("general.architecture", "llama");
            HfTokenizerJson.translate(DIR, config, meta);
            if (!meta.asMap().containsKey("tokenizer.ggml.tokens")) return;
            tok = HfTokenizerJson.build(meta, DIR);
        } catch (ModelLoadException e) {
            Fuzz.expectUserError(e, ModelLoadException.class);
            assertTrue(e.getMessage().contains(DIR.toString()), "the message should name the file: " + e.getMessage());
            return;
        }
        int n = tok.vocabSize();
        for (boolean special : new boolean[]{false, true}) {
            int[] ids = tok.encode(text, special, special);
            for (int id : ids) assertTrue(id >= 0 && id < n, "id " + id + " outside the vocabulary of " + n);
            tok.decode(ids);
        }
    }
}
