package dev.ember.engine.tokenizer;

/**
 * One text fragment as the pre-tokenizer stages see it: its code points, their class flags, and
 * (built on first use) the two stand-in strings the regex stages match against. Piece boundaries
 * are always code point indices, whichever representation a stage matches on.
 */
final class SplitText {
    /** Stand-ins for non-ASCII code points in the collapsed string, one per class (llama.cpp's choice). */
    static final char COLLAPSED_OTHER = '\u00D0';
    static final char COLLAPSED_NUMBER = '\u00D1';
    static final char COLLAPSED_LETTER = '\u00D2';
    static final char COLLAPSED_PUNCTUATION = '\u00D3';
    static final char COLLAPSED_MARK = '\u00D4';
    static final char COLLAPSED_SYMBOL = '\u00D5';
    /** Non-ASCII whitespace becomes a vertical tab so that an ASCII-only \s still matches it. */
    static final char WHITESPACE_STAND_IN = '\u000B';

    final int[] cps;
    final int[] flags;
    private String collapsed;
    private String wide;
    private int[] wideCharToCp;

    SplitText(int[] cps) {
        this.cps = cps;
        this.flags = new int[cps.length];
        for (int i = 0; i < cps.length; i++) flags[i] = UnicodeProps.flags(cps[i]);
    }

    int length() { return cps.length; }

    /**
     * Every code point as one char: ASCII kept, everything else replaced by its class stand-in, so
     * a regex can test Unicode classes with plain ASCII character classes. Char index equals code
     * point index.
     */
    String collapsed() {
        if (collapsed == null) {
            char[] out = new char[cps.length];
            for (int i = 0; i < cps.length; i++) {
                int cp = cps[i];
                int f = flags[i];
                if (cp < 0x80) out[i] = (char) cp;
                else if ((f & UnicodeProps.WHITESPACE) != 0) out[i] = WHITESPACE_STAND_IN;
                else out[i] = switch (f & UnicodeProps.CATEGORY_MASK) {
                    case UnicodeProps.NUMBER -> COLLAPSED_NUMBER;
                    case UnicodeProps.LETTER -> COLLAPSED_LETTER;
                    case UnicodeProps.PUNCTUATION -> COLLAPSED_PUNCTUATION;
                    case UnicodeProps.MARK -> COLLAPSED_MARK;
                    case UnicodeProps.SYMBOL -> COLLAPSED_SYMBOL;
                    default -> COLLAPSED_OTHER;
                };
            }
            collapsed = new String(out);
        }
        return collapsed;
    }

    /** The text itself, but with non-ASCII whitespace replaced by a vertical tab. */
    String wide() {
        if (wide == null) {
            StringBuilder sb = new StringBuilder(cps.length + 8);
            for (int i = 0; i < cps.length; i++) {
                int cp = cps[i];
                if (cp >= 0x80 && (flags[i] & UnicodeProps.WHITESPACE) != 0) sb.append(WHITESPACE_STAND_IN);
                else sb.appendCodePoint(cp);
            }
            wide = sb.toString();
            if (wide.length() != cps.length) {
                wideCharToCp = new int[wide.length() + 1];
                int cp = 0;
                for (int c = 0; c < wide.length(); ) {
                    wideCharToCp[c] = cp;
                    if (Character.isHighSurrogate(wide.charAt(c)) && c + 1 < wide.length()) {
                        wideCharToCp[c + 1] = cp;
                        c += 2;
                    } else c++;
                    cp++;
                }
                wideCharToCp[wide.length()] = cp;
            }
        }
        return wide;
    }

    /** Char index in {@link #wide()} of a code point index. */
    int wideCharIndex(int cpIndex) {
        if (wideCharToCp == null) return cpIndex;
        // Supplementary code points are rare; a binary search over the monotone map is enough.
        int lo = 0;
        int hi = wideCharToCp.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (wideCharToCp[mid] < cpIndex) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** Code point index of a char index in {@link #wide()}. */
    int wideCpIndex(int charIndex) {
        return wideCharToCp == null ? charIndex : wideCharToCp[charIndex];
    }
}
