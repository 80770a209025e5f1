package dev.ember.engine.tokenizer;

import dev.ember.engine.gguf.GgufFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Special tokens, flags and end-of-generation ids on the real vocabularies in shared/. */
class SpecialTokensTest {

    private static Tokenizer vocab(String shortName) {
        assumeTrue(VocabFiles.present(shortName), "vocab " + shortName + " not in shared/vocab");
        return VocabFiles.byShortName(shortName);
    }

    private static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(x -> x == id);
    }

    @Test
    void qwen3ChatMarkupParsesOnlyWithParseSpecial() {
        Tokenizer tok = vocab("qwen3-from-tiktoken");
        int imStart = 151644;
        int imEnd = 151645;
        assertEquals("<|im_start|>", tok.tokenText(imStart));
        String chat = "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n";
        int[] parsed = tok.encode(chat, false, true);
        assertEquals(imStart, parsed[0]);
        assertTrue(contains(parsed, imEnd));
        assertEquals(chat.replace("<|im_start|>", "").replace("<|im_end|>", ""), tok.decode(parsed));
        int[] plain = tok.encode(chat, false, false);
        assertFalse(contains(plain, imStart) || contains(plain, imEnd));
        assertEquals(chat, tok.decode(plain));
        // user-defined added tokens (here <think>) are split out even without parseSpecial, as in HF and llama.cpp
        assertTrue(contains(tok.encode("a<think>b", false, false), tok.encode("<think>", false, false)[0]));
        assertEquals(1, tok.encode("<think>", false, false).length);
    }

    @Test
    void qwen3EndOfGeneration() {
        Tokenizer tok = vocab("qwen3-from-tiktoken");
        assertEquals(151645, tok.eos());
        assertEquals(151645, tok.eot());
        assertTrue(tok.isEndOfGeneration(151645)); // <|im_end|>
        assertTrue(tok.isEndOfGeneration(151643)); // <|endoftext|>
        assertFalse(tok.isEndOfGeneration(151644)); // <|im_start|>
        assertFalse(tok.isEndOfGeneration(tok.encode("Hello", false, false)[0]));
        assertFalse(tok.addsBos());
        assertEquals(151936, tok.vocabSize());
    }

    @Test
    void llamaSpmAddsBosAndHidesControlTokens() {
        Tokenizer tok = vocab("llama-spm");
        assertEquals(1, tok.bos());
        assertEquals(2, tok.eos());
        assertTrue(tok.addsBos());
        int[] ids = tok.encode("Hello world", true, false);
        assertEquals(1, ids[0]);
        assertArrayEquals(Arrays.copyOfRange(ids, 1, ids.length), tok.encode("Hello world", false, false));
        assertTrue(tok.isEndOfGeneration(2));
        assertEquals(0, tok.tokenBytes(1).length);
        assertEquals("Hello world", tok.decode(new int[] {1, ids[1], ids[2], 2}));
        // byte-fallback tokens decode to their byte
        assertArrayEquals(new byte[] {'\n'}, tok.tokenBytes(tok.encode("\n", false, false)[1]));
        // <s> in text is only a control token when parsing specials; after it, a word gets its space prefix again
        assertArrayEquals(new int[] {1, ids[1], ids[2]}, tok.encode("<s>Hello world", false, true));
    }

    @Test
    void phi3SpecialTokensEatFollowingWhitespace() {
        Tokenizer tok = vocab("phi-3");
        int user = 32010;
        assertEquals("<|user|>", tok.tokenText(user));
        int[] spaced = tok.encode("<|user|>\n  Hello", false, true);
        assertEquals(user, spaced[0]);
        assertArrayEquals(tok.encode("<|user|>Hello", false, true), spaced);
        assertTrue(tok.isEndOfGeneration(32007)); // <|end|>
        assertTrue(tok.isEndOfGeneration(32000)); // <|endoftext|>
    }

    @Test
    void deepseekCoderBosAndUserDefinedTokens() {
        Tokenizer tok = vocab("deepseek-coder");
        assertEquals(32013, tok.bos());
        assertTrue(tok.addsBos());
        assertEquals(32013, tok.encode("x", true, false)[0]);
        assertTrue(tok.isEndOfGeneration(32014));
    }

    @Test
    void bertAddsClsAndSep() {
        Tokenizer tok = vocab("bert-bge");
        int[] ids = tok.encode("Hello, world!", true, false);
        assertEquals(101, ids[0]);
        assertEquals(102, ids[ids.length - 1]);
        assertArrayEquals(tok.encode("Hello, world!", false, false), Arrays.copyOfRange(ids, 1, ids.length - 1));
        assertEquals(" hello, world!", tok.decode(ids).replace(" ,", ",").replace(" !", "!"));
    }

    /** stories260K: the tokenizer of the test model must reproduce llama2.c's prompt ids and text. */
    @Test
    void stories260kPromptsAndGeneratedText() throws IOException {
        Path models = VocabFiles.dir().getParent().resolve("models");
        Path json = models.resolve("stories260K.greedy.json");
        assumeTrue(Files.exists(json), "stories260K reference missing");
        String s = Files.readString(json);
        Tokenizer tok;
        try (GgufFile gguf = GgufFile.open(models.resolve("stories260K.gguf"))) {
            tok = Tokenizer.fromGguf(gguf);
        }
        Matcher m = Pattern.compile("\"prompt\":\\s*\"([^\"]*)\",\\s*\"prompt_token_ids\":\\s*\\[([^]]*)],\\s*"
                + "\"generated_token_ids\":\\s*\\[([^]]*)],\\s*\"text\":\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(s);
        int cases = 0;
        while (m.find()) {
            cases++;
            int[] prompt = ids(m.group(2));
            int[] generated = ids(m.group(3));
            String text = m.group(4).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
            assertArrayEquals(prompt, tok.encode(m.group(1), true, false), m.group(1));
            int[] all = new int[prompt.length + generated.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(generated, 0, all, prompt.length, generated.length);
            assertEquals(text, tok.decode(all));
            StreamingDecoder dec = tok.streamingDecoder();
            StringBuilder streamed = new StringBuilder(m.group(1));
            for (int id : generated) streamed.append(dec.accept(id));
            streamed.append(dec.finish());
            assertEquals(text, streamed.toString());
        }
        assertEquals(3, cases);
    }

    private static int[] ids(String csv) {
        return Arrays.stream(csv.split(",")).map(String::strip).filter(x -> !x.isEmpty()).mapToInt(Integer::parseInt).toArray();
    }

    @Test
    void outOfRangeIdsAreRejected() {
        Tokenizer tok = vocab("gpt-2");
        for (int bad : List.of(-1, tok.vocabSize())) {
            assertThrowsIae(() -> tok.tokenBytes(bad));
            assertThrowsIae(() -> tok.decode(new int[] {bad}));
            assertThrowsIae(() -> tok.tokenText(bad));
        }
        assertFalse(tok.isEndOfGeneration(-1));
        assertFalse(tok.isEndOfGeneration(tok.vocabSize()));
    }

    private static void assertThrowsIae(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
    }
}
