package dev.ember.engine.tokenizer;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class StreamingDecoderTest {

    @Test
    void holdsBackSplitCharactersUntilComplete() {
        assumeTrue(VocabFiles.present("gpt-2"));
        Tokenizer tok = VocabFiles.byShortName("gpt-2");
        // 🦙 is four bytes; GPT-2 has no token for it, so it arrives as several byte tokens
        int[] ids = tok.encode("a🦙b", false, false);
        assertTrue(ids.length >= 3);
        StreamingDecoder dec = tok.streamingDecoder();
        StringBuilder out = new StringBuilder();
        int emptyCalls = 0;
        for (int id : ids) {
            String part = dec.accept(id);
            if (part.isEmpty()) emptyCalls++;
            assertFalse(part.contains("\uFFFD"));
            out.append(part);
        }
        assertTrue(emptyCalls > 0, "some token should have completed no character");
        assertEquals("a🦙b", out + dec.finish());
    }

    @Test
    void finishFlushesAnIncompleteCharacterAsReplacement() {
        assumeTrue(VocabFiles.present("llama-spm"));
        Tokenizer tok = VocabFiles.byShortName("llama-spm");
        int firstByte = tok.encode("🦙", false, false)[1]; // ▁, then the bytes F0 9F A6 99 as <0x..>
        assertEquals(1, tok.tokenBytes(firstByte).length);
        StreamingDecoder dec = tok.streamingDecoder();
        assertEquals("", dec.accept(firstByte));
        assertTrue(dec.hasPending());
        assertEquals("\uFFFD", dec.finish());
        assertFalse(dec.hasPending());
    }

    @Test
    void completePrefixKeepsOnlyUnfinishedSequences() {
        byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8);
        byte[] llama = "🦙".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, Utf8.completePrefix(euro, 1));
        assertEquals(0, Utf8.completePrefix(euro, 2));
        assertEquals(3, Utf8.completePrefix(euro, 3));
        assertEquals(0, Utf8.completePrefix(llama, 3));
        assertEquals(4, Utf8.completePrefix(llama, 4));
        assertEquals(1, Utf8.completePrefix(new byte[] {'a', (byte) 0xF0}, 2));
        // invalid bytes are never held back: waiting would not make them valid
        assertEquals(1, Utf8.completePrefix(new byte[] {(byte) 0x80}, 1));
        assertEquals(1, Utf8.completePrefix(new byte[] {(byte) 0xFF}, 1));
        assertEquals(2, Utf8.completePrefix(new byte[] {'a', (byte) 0xC0}, 2));
    }
}
