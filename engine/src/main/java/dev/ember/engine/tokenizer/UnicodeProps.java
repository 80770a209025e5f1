package dev.ember.engine.tokenizer;

import java.text.Normalizer;

/**
 * Code point classes as llama.cpp's tokenizers see them. Each code point has exactly one general
 * category flag (letter, number, ...) plus an independent whitespace flag. llama.cpp builds these
 * from UnicodeData.txt and the White_Space property; Java's {@link Character#getType} carries the
 * same general categories, so only the whitespace set has to be spelled out here.
 *
 * <p>Flags are plain int bit masks so the pre-tokenizer scanners can test them without allocation;
 * 0 stands for "no code point" (a position outside the piece being scanned).
 */
final class UnicodeProps {
    private UnicodeProps() {}

    static final int UNDEFINED = 0x0001;
    static final int NUMBER = 0x0002;
    static final int LETTER = 0x0004;
    static final int SEPARATOR = 0x0008;
    static final int MARK = 0x0010;
    static final int PUNCTUATION = 0x0020;
    static final int SYMBOL = 0x0040;
    static final int CONTROL = 0x0080;
    static final int CATEGORY_MASK = 0x00FF;
    static final int WHITESPACE = 0x0100;

    /**
     * Unicode's White_Space property. Note it differs from both Java's \s (ASCII only) and
     * Character.isWhitespace (which excludes no-break spaces and includes U+001C..U+001F).
     */
    static boolean isWhitespace(int cp) {
        if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
        return switch (cp) {
            case 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000 -> true;
            default -> cp >= 0x2000 && cp <= 0x200A;
        };
    }

    static int flags(int cp) {
        int cat = switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK -> MARK;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            case Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> SEPARATOR;
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE -> CONTROL;
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                 Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                 Character.OTHER_PUNCTUATION -> PUNCTUATION;
            case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL -> SYMBOL;
            default -> UNDEFINED; // Cn: unassigned
        };
        return isWhitespace(cp) ? cat | WHITESPACE : cat;
    }

    static boolean isLetter(int flags) { return (flags & LETTER) != 0; }
    static boolean isNumber(int flags) { return (flags & NUMBER) != 0; }
    static boolean isSpace(int flags) { return (flags & WHITESPACE) != 0; }

    /** Simple (one to one) lowercase mapping from UnicodeData, as llama.cpp's unicode_tolower. */
    static int toLower(int cp) {
        return Character.toLowerCase(cp);
    }

    /**
     * The first code point of the canonical decomposition. llama.cpp's accent stripping for
     * WordPiece keeps only that and drops the rest (the combining marks), so this is all it needs.
     */
    static int nfdFirst(int cp) {
        if (cp < 0xC0) return cp; // nothing below U+00C0 decomposes
        if (cp < NfdTable.SIZE) return NfdTable.TABLE[cp];
        return computeNfdFirst(cp);
    }

    private static int computeNfdFirst(int cp) {
        String s = Character.toString(cp);
        if (Normalizer.isNormalized(s, Normalizer.Form.NFD)) return cp;
        return Normalizer.normalize(s, Normalizer.Form.NFD).codePointAt(0);
    }

    /** Lazily built BMP table: only WordPiece with accent stripping ever touches it. */
    private static final class NfdTable {
        static final int SIZE = 0x10000;
        static final int[] TABLE = new int[SIZE];

        static {
            for (int cp = 0; cp < SIZE; cp++) {
                TABLE[cp] = (cp < 0xC0 || Character.isSurrogate((char) cp)) ? cp : computeNfdFirst(cp);
            }
        }
    }
}
