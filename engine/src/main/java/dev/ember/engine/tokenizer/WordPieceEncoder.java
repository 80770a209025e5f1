package dev.ember.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;

/**
 * BERT's WordPiece as llama.cpp runs it on converted vocabularies, where a word-initial piece is
 * stored with a leading U+2581 and a continuation piece bare (the "##" prefix is gone). Text is
 * normalized (optionally lowercased and accent-stripped), split on whitespace and around
 * punctuation and CJK ideographs, and each word is covered greedily by longest matching pieces;
 * a word that cannot be covered becomes the unknown token.
 */
final class WordPieceEncoder {
    private static final String WORD_START = "\u2581";

    private final Vocab vocab;
    private final int unk;
    private final boolean lowercase;
    private final boolean stripAccents;

    WordPieceEncoder(Vocab vocab, int unk, boolean lowercase, boolean stripAccents) {
        this.vocab = vocab;
        this.unk = unk;
        this.lowercase = lowercase;
        this.stripAccents = stripAccents;
    }

    void encode(String text, IntList out) {
        int maxBytes = vocab.maxTokenBytes();
        for (String word : words(text)) {
            String w = WORD_START + word;
            int[] cps = w.codePoints().toArray();
            int[] charOffset = new int[cps.length + 1];
            int[] byteOffset = new int[cps.length + 1];
            for (int i = 0; i < cps.length; i++) {
                charOffset[i + 1] = charOffset[i] + Character.charCount(cps[i]);
                byteOffset[i + 1] = byteOffset[i] + Vocab.utf8Length(Character.toString(cps[i]));
            }
            int mark = out.size();
            boolean covered = true;
            for (int i = 0; i < cps.length; ) {
                int found = -1;
                int foundEnd = i;
                // longest piece first; no token is longer than maxBytes
                int j = i + 1;
                while (j < cps.length && byteOffset[j + 1] - byteOffset[i] <= maxBytes) j++;
                for (; j > i; j--) {
                    int id = vocab.id(w.substring(charOffset[i], charOffset[j]));
                    if (id >= 0) {
                        found = id;
                        foundEnd = j;
                        break;
                    }
                }
                if (found < 0) {
                    covered = false;
                    break;
                }
                out.add(found);
                i = foundEnd;
            }
            if (!covered) out.truncate(mark);
            if (out.size() == mark && unk >= 0) out.add(unk);
        }
    }

    /** BERT's basic tokenization: clean, normalize, split on whitespace and around punctuation. */
    List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (stripAccents) cp = UnicodeProps.nfdFirst(cp);
            int f = UnicodeProps.flags(cp);
            if ((f & UnicodeProps.WHITESPACE) != 0) {
                flush(cur, words);
                continue;
            }
            if (cp == 0 || cp == 0xFFFD || (f & UnicodeProps.CONTROL) != 0) continue;
            if (stripAccents && (f & UnicodeProps.MARK) != 0) continue;
            int c = lowercase ? UnicodeProps.toLower(cp) : cp;
            if ((f & UnicodeProps.PUNCTUATION) != 0 || (cp < 0x7F && (f & UnicodeProps.SYMBOL) != 0) || isCjkIdeograph(cp)) {
                flush(cur, words);
                words.add(Character.toString(c));
            } else {
                cur.appendCodePoint(c);
            }
        }
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    /**
     * The CJK ideograph blocks BERT isolates as single-character words. The Extension range starting
     * at U+2B920 (rather than U+2B820) follows HF's tokenizers, which llama.cpp matches.
     */
    static boolean isCjkIdeograph(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF)
                || (cp >= 0x3400 && cp <= 0x4DBF)
                || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F)
                || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B920 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
