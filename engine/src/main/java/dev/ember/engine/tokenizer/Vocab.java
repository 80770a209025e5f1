package dev.ember.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * The token table: text, score and attributes per id, and the reverse text-to-id lookup. Attributes
 * are mutable only while the loader applies llama.cpp's fix-ups; after that the vocab is shared
 * read-only by every encoding thread.
 */
final class Vocab {
    private final String[] texts;
    private final float[] scores;
    private final int[] attrs;
    private final StringIntMap ids;
    private final int maxTokenBytes;

    Vocab(String[] texts, float[] scores, int[] attrs) {
        if (scores.length != texts.length || attrs.length != texts.length) {
            throw new IllegalArgumentException("vocab arrays differ in length");
        }
        this.texts = texts;
        this.scores = scores;
        this.attrs = attrs;
        this.ids = new StringIntMap(texts.length);
        int maxBytes = 0;
        for (int i = 0; i < texts.length; i++) {
            if (texts[i].isEmpty()) {
                // llama.cpp renames empty entries so every token stays addressable by text
                texts[i] = "[EMPTY_" + i + "]";
            }
            ids.put(texts[i], i); // a duplicated text resolves to its last id, as in llama.cpp
            maxBytes = Math.max(maxBytes, utf8Length(texts[i]));
        }
        this.maxTokenBytes = maxBytes;
    }

    int size() { return texts.length; }

    String text(int id) { return texts[id]; }

    float score(int id) { return scores[id]; }

    int attrs(int id) { return attrs[id]; }

    boolean has(int id, int attrBits) { return (attrs[id] & attrBits) != 0; }

    void addAttrs(int id, int bits) { attrs[id] |= bits; }

    void setAttrs(int id, int bits) { attrs[id] = bits; }

    boolean contains(int id) { return id >= 0 && id < texts.length; }

    /** The id of a token text, or -1. */
    int id(String text) {
        return ids.get(text);
    }

    /** The id of the token s[from, to), or -1, without building the substring. */
    int id(String s, int from, int to) {
        return ids.get(s, from, to);
    }

    /** The id of the token s[aFrom, aTo) + s[bFrom, bTo), or -1. */
    int id(String s, int aFrom, int aTo, int bFrom, int bTo) {
        return ids.get(s, aFrom, aTo, bFrom, bTo);
    }

    /** Longest token in UTF-8 bytes (WordPiece bounds its longest-match search with it). */
    int maxTokenBytes() { return maxTokenBytes; }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n += 1;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
