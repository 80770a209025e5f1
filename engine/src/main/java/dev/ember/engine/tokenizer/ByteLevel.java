package dev.ember.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character mapping: byte-level BPE vocabularies store every byte as a
 * printable character so merges never see raw control bytes or spaces. Printable Latin-1 bytes map
 * to themselves; the remaining 68 bytes map, in byte order, to U+0100 upwards ('Ġ' is the space).
 */
final class ByteLevel {
    private ByteLevel() {}

    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by character (all mapped characters are below U+0200); -1 where none. */
    private static final int[] CHAR_TO_BYTE = new int[0x200];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) next++;
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    static char encode(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte-level string of raw bytes (one character per byte). */
    static String encode(byte[] bytes, int from, int to) {
        char[] out = new char[to - from];
        for (int i = from; i < to; i++) out[i - from] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        return new String(out);
    }

    /**
     * The raw bytes behind a byte-level token text. A character outside the mapping cannot come
     * from byte-level encoding (a hand-added token, say); it contributes its own UTF-8 bytes so
     * decoding stays lossless instead of inventing placeholder text.
     */
    static byte[] decode(String text) {
        byte[] out = new byte[text.length()];
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return decodeMixed(text);
            out[i] = (byte) b;
        }
        return out;
    }

    private static byte[] decodeMixed(String text) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 8);
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            int b = cp < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[cp] : -1;
            if (b >= 0) {
                out.write(b);
            } else {
                out.writeBytes(Vocab.utf8(Character.toString(cp)));
            }
        }
        return out.toByteArray();
    }
}
