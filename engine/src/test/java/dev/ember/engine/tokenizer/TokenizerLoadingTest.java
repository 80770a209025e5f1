package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loader behaviour on small synthetic GGUF files: flags, defaults and error messages. */
class TokenizerLoadingTest {
    @TempDir
    Path dir;

    /** A toy byte-level vocab: the byte alphabet, "he", "ll", "hello", a BOS, with merges h+e and l+l. */
    private TestGguf toyBpe(String pre) {
        List<String> tokens = new ArrayList<>(Arrays.asList(TestGguf.byteLevelAlphabet()));
        tokens.addAll(List.of("he", "ll", "hello", "<|begin_of_text|>", "<|eot_id|>"));
        int[] types = new int[tokens.size()];
        Arrays.fill(types, 1);
        types[259] = 3;
        types[260] = 3;
        return new TestGguf()
                .put("tokenizer.ggml.model", "gpt2")
                .put("tokenizer.ggml.pre", pre)
                .put("tokenizer.ggml.tokens", tokens.toArray(new String[0]))
                .put("tokenizer.ggml.token_type", types)
                .put("tokenizer.ggml.merges", new String[] {"h e", "l l"})
                .put("tokenizer.ggml.bos_token_id", 259)
                .put("tokenizer.ggml.eos_token_id", 260);
    }

    @Test
    void unknownPreTokenizerIsNamedWithTheSupportedOnes() {
        try (GgufFile gguf = toyBpe("no-such-pre").open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(gguf));
            assertTrue(e.getMessage().contains("'no-such-pre'"), e.getMessage());
            for (String name : List.of("llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder", "gpt-2", "falcon", "mpt", "refact", "starcoder")) {
                assertTrue(e.getMessage().contains(name), name + " missing from: " + e.getMessage());
            }
        }
    }

    @Test
    void unknownModelIsNamed() {
        try (GgufFile gguf = toyBpe("gpt-2").put("tokenizer.ggml.model", "t5").open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(gguf));
            assertTrue(e.getMessage().contains("'t5'") && e.getMessage().contains("gpt2"), e.getMessage());
        }
    }

    @Test
    void missingTokenizerIsReported() {
        try (GgufFile gguf = new TestGguf().put("general.architecture", "llama").open(dir)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizer.fromGguf(gguf));
            assertTrue(e.getMessage().contains("tokenizer.ggml.model"), e.getMessage());
        }
    }

    @Test
    void llama3IgnoresMergesForWholeWordTokensAndAddsBosByDefault() {
        try (GgufFile gguf = toyBpe("llama-bpe").open(dir)) {
            Tokenizer tok = Tokenizer.fromGguf(gguf);
            // "hello" is a token but no merge path builds it: llama-bpe takes whole-word tokens as they are
            assertArrayEquals(new int[] {259, 258}, tok.encode("hello", true, false));
            assertTrue(tok.addsBos());
            assertEquals(260, tok.eot());
            assertTrue(tok.isEndOfGeneration(260));
            assertEquals("hello", tok.decode(tok.encode("hello", true, false)));
        }
        try (GgufFile gguf = toyBpe("dbrx").open(dir)) {
            Tokenizer tok = Tokenizer.fromGguf(gguf);
            // the same split without ignore_merges: merges only, and no BOS unless the GGUF asks
            assertArrayEquals(new int[] {256, 257, 'o'}, tok.encode("hello", true, false));
            assertFalse(tok.addsBos());
        }
    }

    @Test
    void addBosAndAddEosFlagsFromMetadata() {
        try (GgufFile gguf = toyBpe("gpt-2").put("tokenizer.ggml.add_bos_token", true).put("tokenizer.ggml.add_eos_token", true).open(dir)) {
            Tokenizer tok = Tokenizer.fromGguf(gguf);
            int[] ids = tok.encode("he", true, false);
            assertArrayEquals(new int[] {259, 256, 260}, ids);
            assertArrayEquals(new int[] {256}, tok.encode("he", false, false));
        }
    }

    /**
     * gguf-py writes add_eos_token = true for BERT (its [SEP] doubles as EOS); llama.cpp's
     * WordPiece path appends SEP only, so the input must not end with two SEPs.
     */
    @Test
    void wordPieceEndsWithOneSepEvenWhenAddEosIsSet() {
        String[] tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u2581hello", "\u2581world"};
        int[] types = {3, 2, 3, 3, 1, 1};
        try (GgufFile gguf = new TestGguf()
                .put("tokenizer.ggml.model", "bert")
                .put("tokenizer.ggml.tokens", tokens)
                .put("tokenizer.ggml.token_type", types)
                .put("tokenizer.ggml.unknown_token_id", 1)
                .put("tokenizer.ggml.bos_token_id", 2)
                .put("tokenizer.ggml.eos_token_id", 3)
                .put("tokenizer.ggml.seperator_token_id", 3)
                .put("tokenizer.ggml.add_bos_token", true)
                .put("tokenizer.ggml.add_eos_token", true)
                .put("tokenizer.ggml.add_sep_token", false)
                .open(dir)) {
            assertArrayEquals(new int[] {2, 4, 5, 3}, Tokenizer.fromGguf(gguf).encode("hello world", true, false));
        }
    }

    @Test
    void controlTokensParseOnlyWhenAsked() {
        try (GgufFile gguf = toyBpe("gpt-2").open(dir)) {
            Tokenizer tok = Tokenizer.fromGguf(gguf);
            int[] parsed = tok.encode("he<|eot_id|>", false, true);
            assertArrayEquals(new int[] {256, 260}, parsed);
            int[] plain = tok.encode("he<|eot_id|>", false, false);
            assertTrue(plain.length > 2 && Arrays.stream(plain).noneMatch(id -> id == 260));
            // control tokens decode to nothing; plain text decodes back
            assertEquals("he", tok.decode(parsed));
            assertEquals("he<|eot_id|>", tok.decode(plain));
            assertTrue(tok.isControl(260));
            assertFalse(tok.isControl(256));
        }
    }
}
