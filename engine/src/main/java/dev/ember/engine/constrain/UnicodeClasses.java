package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;

/**
 * The sets behind {@code \p{..}}, looked up the way java.util.regex looks them up (its
 * {@code Pattern.family} and {@code CharPredicates}): {@code name=value} for scripts, blocks and
 * general categories; {@code In} for blocks; {@code Is} first for Unicode binary properties and
 * their POSIX names, then categories, then scripts; a bare name for categories, the ASCII POSIX
 * classes and the {@code java*} methods. Under {@code (?i)} the case properties widen as they do
 * there ({@code \p{Lu}} is every cased letter, {@code \p{Lower}} every ASCII letter), which matters
 * once negated. A name java.util.regex knows but this class does not build is unknown here (an
 * error), never looked up further: a later stage could give a different set.
 */
final class UnicodeClasses {
    private static final Map<String, CodePointSet> CACHE = new ConcurrentHashMap<>();

    /** Names java.util.regex resolves after {@code Is} before categories and scripts (upper case). */
    private static final Set<String> UNICODE_PROPERTY_NAMES = Set.of(
            "ALPHABETIC", "ASSIGNED", "CONTROL", "EMOJI", "EMOJI_PRESENTATION", "EMOJI_MODIFIER", "EMOJI_MODIFIER_BASE",
            "EMOJI_COMPONENT", "EXTENDED_PICTOGRAPHIC", "HEXDIGIT", "HEX_DIGIT", "IDEOGRAPHIC", "JOINCONTROL", "JOIN_CONTROL",
            "LETTER", "LOWERCASE", "NONCHARACTERCODEPOINT", "NONCHARACTER_CODE_POINT", "TITLECASE", "PUNCTUATION", "UPPERCASE",
            "WHITESPACE", "WHITE_SPACE", "WORD",
            "ALPHA", "LOWER", "UPPER", "SPACE", "PUNCT", "XDIGIT", "ALNUM", "CNTRL", "DIGIT", "BLANK", "GRAPH", "PRINT");

    private UnicodeClasses() {}

    /** The set a {@code \p{name}} stands for (under {@code (?i)} when {@code caseInsensitive}), or null if the name is unknown. */
    static CodePointSet named(String name, boolean caseInsensitive) {
        String key = (caseInsensitive ? "i:" : "c:") + name;
        CodePointSet hit = CACHE.get(key);
        if (hit != null) return hit;
        CodePointSet s = build(name, caseInsensitive);
        if (s != null) CACHE.put(key, s);
        return s;
    }

    private static CodePointSet build(String name, boolean ci) {
        int eq = name.indexOf('=');
        if (eq >= 0) {
            String value = name.substring(eq + 1);
            return switch (name.substring(0, eq).toLowerCase(Locale.ENGLISH)) {
                case "sc", "script" -> script(value);
                case "blk", "block" -> block(value);
                case "gc", "general_category" -> property(value, ci);
                default -> null;
            };
        }
        if (name.startsWith("In")) return block(name.substring(2));
        if (name.startsWith("Is")) {
            String rest = name.substring(2);
            String upper = rest.toUpperCase(Locale.ROOT);
            if (UNICODE_PROPERTY_NAMES.contains(upper)) return unicodeProperty(upper, ci);
            CodePointSet p = property(rest, ci);
            return p != null ? p : script(rest);
        }
        return property(name, ci);
    }

    /** java.util.regex's Unicode binary properties and Unicode POSIX classes (the ones built here; null for the rest). */
    private static CodePointSet unicodeProperty(String upper, boolean ci) {
        return switch (upper) {
            case "ALPHABETIC", "ALPHA" -> where(Character::isAlphabetic);
            case "LETTER" -> where(Character::isLetter);
            case "IDEOGRAPHIC" -> where(Character::isIdeographic);
            case "DIGIT" -> where(Character::isDigit);
            case "LOWERCASE", "LOWER" -> ci ? cased() : where(Character::isLowerCase);
            case "UPPERCASE", "UPPER" -> ci ? cased() : where(Character::isUpperCase);
            case "TITLECASE" -> ci ? cased() : where(Character::isTitleCase);
            case "WHITESPACE", "WHITE_SPACE", "SPACE" -> where(c -> isType(c, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR) || (c >= 0x9 && c <= 0xd) || c == 0x85);
            case "CONTROL", "CNTRL" -> category(Character.CONTROL);
            default -> null;
        };
    }

    private static CodePointSet cased() {
        return where(c -> Character.isLowerCase(c) || Character.isUpperCase(c) || Character.isTitleCase(c));
    }

    /** java.util.regex's {@code CharPredicates.forProperty}: categories, ASCII POSIX classes, java methods. */
    private static CodePointSet property(String name, boolean ci) {
        return switch (name) {
            case "Cn" -> category(Character.UNASSIGNED);
            case "Lu" -> ci ? casedLetters() : category(Character.UPPERCASE_LETTER);
            case "Ll" -> ci ? casedLetters() : category(Character.LOWERCASE_LETTER);
            case "Lt" -> ci ? casedLetters() : category(Character.TITLECASE_LETTER);
            case "Lm" -> category(Character.MODIFIER_LETTER);
            case "Lo" -> category(Character.OTHER_LETTER);
            case "Mn" -> category(Character.NON_SPACING_MARK);
            case "Me" -> category(Character.ENCLOSING_MARK);
            case "Mc" -> category(Character.COMBINING_SPACING_MARK);
            case "Nd" -> category(Character.DECIMAL_DIGIT_NUMBER);
            case "Nl" -> category(Character.LETTER_NUMBER);
            case "No" -> category(Character.OTHER_NUMBER);
            case "Zs" -> category(Character.SPACE_SEPARATOR);
            case "Zl" -> category(Character.LINE_SEPARATOR);
            case "Zp" -> category(Character.PARAGRAPH_SEPARATOR);
            case "Cc" -> category(Character.CONTROL);
            case "Cf" -> category(Character.FORMAT);
            case "Co" -> category(Character.PRIVATE_USE);
            case "Cs" -> category(Character.SURROGATE);
            case "Pd" -> category(Character.DASH_PUNCTUATION);
            case "Ps" -> category(Character.START_PUNCTUATION);
            case "Pe" -> category(Character.END_PUNCTUATION);
            case "Pc" -> category(Character.CONNECTOR_PUNCTUATION);
            case "Po" -> category(Character.OTHER_PUNCTUATION);
            case "Sm" -> category(Character.MATH_SYMBOL);
            case "Sc" -> category(Character.CURRENCY_SYMBOL);
            case "Sk" -> category(Character.MODIFIER_SYMBOL);
            case "So" -> category(Character.OTHER_SYMBOL);
            case "Pi" -> category(Character.INITIAL_QUOTE_PUNCTUATION);
            case "Pf" -> category(Character.FINAL_QUOTE_PUNCTUATION);
            case "L" -> category(Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER);
            case "M" -> category(Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK);
            case "N" -> category(Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER);
            case "Z" -> category(Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR);
            case "C" -> category(Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE, Character.UNASSIGNED);
            case "P" -> category(Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                    Character.CONNECTOR_PUNCTUATION, Character.OTHER_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION);
            case "S" -> category(Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL);
            case "LC" -> casedLetters();
            case "LD" -> category(Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                    Character.MODIFIER_LETTER, Character.OTHER_LETTER, Character.DECIMAL_DIGIT_NUMBER);
            case "L1" -> CodePointSet.of(0, 0xff);
            case "all" -> CodePointSet.ALL;
            case "ASCII" -> CodePointSet.of(0, 0x7f);
            case "Alnum" -> ascii(c -> Character.isLetterOrDigit(c));
            case "Alpha" -> ascii(Character::isLetter);
            case "Blank" -> CodePointSet.ofChars(" \t");
            case "Cntrl" -> CodePointSet.of(0, 0x1f).union(CodePointSet.single(0x7f));
            case "Digit" -> CodePointSet.of('0', '9');
            case "Graph" -> CodePointSet.of(0x21, 0x7e);
            case "Lower" -> ci ? ascii(Character::isLetter) : CodePointSet.of('a', 'z');
            case "Print" -> CodePointSet.of(0x20, 0x7e);
            case "Punct" -> CodePointSet.ofChars("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
            case "Space" -> CodePointSet.ofChars(" \t\n\u000B\f\r");
            case "Upper" -> ci ? ascii(Character::isLetter) : CodePointSet.of('A', 'Z');
            case "XDigit" -> CodePointSet.ofChars("0123456789abcdefABCDEF");
            case "javaLowerCase" -> ci ? cased() : where(Character::isLowerCase);
            case "javaUpperCase" -> ci ? cased() : where(Character::isUpperCase);
            case "javaTitleCase" -> ci ? cased() : where(Character::isTitleCase);
            case "javaAlphabetic" -> where(Character::isAlphabetic);
            case "javaIdeographic" -> where(Character::isIdeographic);
            case "javaDigit" -> where(Character::isDigit);
            case "javaDefined" -> where(Character::isDefined);
            case "javaLetter" -> where(Character::isLetter);
            case "javaLetterOrDigit" -> where(Character::isLetterOrDigit);
            case "javaSpaceChar" -> where(Character::isSpaceChar);
            case "javaWhitespace" -> where(Character::isWhitespace);
            case "javaISOControl" -> where(Character::isISOControl);
            default -> null;
        };
    }

    private static CodePointSet casedLetters() {
        return category(Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER);
    }

    private static CodePointSet script(String name) {
        try {
            Character.UnicodeScript sc = Character.UnicodeScript.forName(name);
            return where(c -> Character.UnicodeScript.of(c) == sc);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static CodePointSet block(String name) {
        try {
            Character.UnicodeBlock b = Character.UnicodeBlock.forName(name);
            return where(c -> Character.UnicodeBlock.of(c) == b);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean isType(int c, int... types) {
        int t = Character.getType(c);
        for (int x : types) if (x == t) return true;
        return false;
    }

    private static CodePointSet category(int... types) {
        return where(c -> isType(c, types));
    }

    private static CodePointSet ascii(IntPredicate p) {
        return where(c -> c < 0x80 && p.test(c));
    }

    /** Every code point {@code p} accepts; surrogates never (they are not text on their own). */
    private static CodePointSet where(IntPredicate p) {
        List<Integer> r = new ArrayList<>();
        int start = -1;
        for (int c = 0; c <= CodePointSet.MAX + 1; c++) {
            boolean in = c <= CodePointSet.MAX && !(c >= 0xD800 && c <= 0xDFFF) && p.test(c);
            if (in && start < 0) start = c;
            if (!in && start >= 0) { r.add(start); r.add(c - 1); start = -1; }
        }
        return CodePointSet.normalize(r.stream().mapToInt(Integer::intValue).toArray());
    }
}
