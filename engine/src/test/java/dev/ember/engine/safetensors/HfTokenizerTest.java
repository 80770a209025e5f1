package dev.ember.engine.safetensors;

import dev.ember.engine.convert.HfToGguf;
import dev.ember.engine.gguf.GgufFile;
import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.runtime.LoadedModel;
import dev.ember.engine.tensor.TensorType;
import dev.ember.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** tokenizer.json → tokenizer.ggml.* metadata: the resulting tokenizer reproduces HF `tokenizers` ids. */
class HfTokenizerTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llama", "qwen2", "gpt_oss"})
    void idsMatchHuggingFace(String arch) throws Exception {
        HfFixture f = HfFixture.load(arch);
        try (LoadedModel lm = LoadedModel.open(f.model(), 1)) {
            check(f, lm.tokenizer());
        }
        // The converted GGUF carries the same tokenizer.
        Path gguf = tmp.resolve(arch + ".gguf");
        HfToGguf.convert(f.model(), gguf, TensorType.F16, 1);
        try (GgufFile g = GgufFile.open(gguf)) {
            check(f, Tokenizer.fromGguf(g));
            assertTrue(g.getString("tokenizer.chat_template").contains("<|im_start|>"));
        }
    }

    private static void check(HfFixture f, Tokenizer t) {
        for (HfFixture.TokenCase c : f.tokenizerCases()) {
            assertArrayEquals(c.ids(), t.encode(c.text(), false, true), f.arch() + ": " + c.text());
            assertArrayEquals(c.idsWithSpecial(), t.encode(c.text(), true, true), f.arch() + " with specials: " + c.text());
            // control tokens decode to nothing, as in llama.cpp
            if (!c.text().contains("<|")) assertEquals(c.text(), t.decode(c.ids()), f.arch() + " round trip");
        }
    }

    @Test
    void metadataFollowsLlamaCppConverter() {
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("llama").model())) {
            Map<String, Object> m = c.metadata();
            assertEquals("gpt2", m.get("tokenizer.ggml.model"));
            assertEquals("llama-bpe", m.get("tokenizer.ggml.pre"));
            String[] tokens = (String[]) m.get("tokenizer.ggml.tokens");
            assertEquals(512, tokens.length, "padded to config.json's vocab_size");
            long[] types = (long[]) m.get("tokenizer.ggml.token_type");
            assertEquals(388L, m.get("tokenizer.ggml.bos_token_id"));
            assertEquals("<|begin_of_text|>", tokens[388]);
            assertEquals(3L, types[388], "special added tokens are CONTROL");
            assertEquals("[PAD511]", tokens[511]);
            assertEquals(5L, types[511], "ids past the trained vocab are UNUSED");
            assertEquals(1L, types[100]);
            assertEquals(true, m.get("tokenizer.ggml.add_bos_token"), "from the TemplateProcessing post-processor");
            assertEquals("<|im_end|>", tokens[Math.toIntExact((Long) m.get("tokenizer.ggml.eos_token_id"))]);
            assertTrue(((String) m.get("tokenizer.chat_template")).startsWith("{% for m in messages %}"));
        }
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("qwen2").model())) {
            assertEquals("qwen2", c.metadata().get("tokenizer.ggml.pre"));
        }
        try (HfCheckpoint c = HfCheckpoint.open(HfFixture.load("gpt_oss").model())) {
            assertEquals("gpt-4o", c.metadata().get("tokenizer.ggml.pre"), "o200k's split");
        }
    }

    @Test
    void unknownSplitRegexFailsClearly() {
        Map<String, Object> pre = Map.of("type", "Sequence", "pretokenizers", List.of(
                Map.of("type", "Split", "pattern", Map.of("Regex", "\\p{L}+|\\p{N}"), "behavior", "Isolated", "invert", false),
                Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", false)));
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> HfTokenizerJson.preTokenizerName(Path.of("tokenizer.json"), pre));
        assertTrue(e.getMessage().contains("unknown pre-tokenizer split") && e.getMessage().contains("llama-bpe"), e.getMessage());
        assertEquals("gpt-2", HfTokenizerJson.preTokenizerName(Path.of("t.json"), Map.of("type", "ByteLevel", "add_prefix_space", false, "use_regex", true)));
    }

    /** Fuzz finding: one added token at id 3,444,465 made a 16 KB tokenizer.json a 3.4M-id vocabulary of fillers. */
    @Test
    void aVocabularyMostlyOfFillersIsRefused(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        HfConfig config = new HfConfig(dir.resolve("config.json"), java.util.Map.of("architectures", java.util.List.of("LlamaForCausalLM")));
        String base = "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1},\"merges\":[]},"
                + "\"pre_tokenizer\":{\"type\":\"ByteLevel\"},\"added_tokens\":[{\"id\":ID,\"content\":\"<x>\",\"special\":true}]}";
        java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), base.replace("ID", "3444465"));
        GgufMetadata meta = new GgufMetadata();
        meta.string("general.architecture", "llama");
        ModelLoadException e = assertThrows(ModelLoadException.class, () -> HfTokenizerJson.translate(dir, config, meta));
        assertTrue(e.getMessage().contains("3444466 ids") && e.getMessage().contains("defines only 3 tokens"), e.getMessage());
        // A few padded ids, as real checkpoints have, still load.
        java.nio.file.Files.writeString(dir.resolve("tokenizer.json"), base.replace("ID", "300"));
        GgufMetadata ok = new GgufMetadata();
        ok.string("general.architecture", "llama");
        HfTokenizerJson.translate(dir, config, ok);
        assertEquals(301, ((String[]) ok.asMap().get("tokenizer.ggml.tokens")).length);
    }
}
