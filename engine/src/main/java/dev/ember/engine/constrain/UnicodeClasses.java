package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntPredicate;

/** The sets behind {@code \p{..}}: general categories, POSIX classes (ASCII, as in java.util.regex), scripts, blocks and a few binary properties. */
final class UnicodeClasses {
    private static final Map<String, CodePointSet> CACHE = new ConcurrentHashMap<>();

    private UnicodeClasses() {}

    /** The set a {@code \p{name}} stands for, or null if the name is unknown. */
    static CodePointSet named(String name) {
        CodePointSet hit = CACHE.get(name);
        if (hit != null) return hit;
        CodePointSet s = build(name);
        if (s != null) CACHE.put(name, s);
        return s;
    }

    private static CodePointSet build(String name) {
        switch (name) {
            case "Lower": return ascii(c -> c >= 'a' && c <= 'z');
            case "Upper": return ascii(c -> c >= 'A' && c <= 'Z');
            case "ASCII": return CodePointSet.of(0, 0x7f);
            case "Alpha": return ascii(Character::isLetter);
            case "Digit": return ascii(Character::isDigit);
            case "Alnum": return ascii(Character::isLetterOrDigit);
            case "Punct": return CodePointSet.ofChars("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");
            case "Graph": return ascii(c -> c > 0x20 && c < 0x7f);
            case "Print": return ascii(c -> c >= 0x20 && c < 0x7f);
            case "Blank": return CodePointSet.ofChars(" \t");
            case "Cntrl": return CodePointSet.of(0, 0x1f).union(CodePointSet.single(0x7f));
            case "XDigit": return CodePointSet.ofChars("0123456789abcdefABCDEF");
            case "Space": return CodePointSet.ofChars(" \t\n\u000B\f\r");
            default: break;
        }
        String n = name;
        if (n.startsWith("general_category=")) n = n.substring("general_category=".length());
        else if (n.startsWith("gc=")) n = n.substring(3);
        else if (n.startsWith("Is")) n = n.substring(2);
        CodePointSet cat = category(n);
        if (cat != null) return cat;
        switch (n.toLowerCase(Locale.ROOT)) {
            case "alphabetic": return where(Character::isAlphabetic);
            case "letter": return where(Character::isLetter);
            case "digit": return where(Character::isDigit);
            case "uppercase": return where(Character::isUpperCase);
            case "lowercase": return where(Character::isLowerCase);
            case "white_space", "whitespace": return where(c -> Character.isWhitespace(c) || Character.isSpaceChar(c));
            case "ideographic": return where(Character::isIdeographic);
            default: break;
        }
        if (name.startsWith("Is") || name.startsWith("script=") || name.startsWith("sc=")) {
            String script = name.substring(name.indexOf(name.startsWith("Is") ? 's' : '=') + 1);
            try {
                Character.UnicodeScript sc = Character.UnicodeScript.forName(script);
                return where(c -> Character.UnicodeScript.of(c) == sc);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        if (name.startsWith("In") || name.startsWith("block=") || name.startsWith("blk=")) {
            String block = name.startsWith("In") ? name.substring(2) : name.substring(name.indexOf('=') + 1);
            try {
                Character.UnicodeBlock b = Character.UnicodeBlock.forName(block);
                return where(c -> Character.UnicodeBlock.of(c) == b);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static CodePointSet category(String n) {
        int[] types = switch (n) {
            case "L" -> new int[]{Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER, Character.MODIFIER_LETTER, Character.OTHER_LETTER};
            case "Lu" -> new int[]{Character.UPPERCASE_LETTER};
            case "Ll" -> new int[]{Character.LOWERCASE_LETTER};
            case "Lt" -> new int[]{Character.TITLECASE_LETTER};
            case "Lm" -> new int[]{Character.MODIFIER_LETTER};
            case "Lo" -> new int[]{Character.OTHER_LETTER};
            case "M" -> new int[]{Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK};
            case "Mn" -> new int[]{Character.NON_SPACING_MARK};
            case "N" -> new int[]{Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER};
            case "Nd" -> new int[]{Character.DECIMAL_DIGIT_NUMBER};
            case "Nl" -> new int[]{Character.LETTER_NUMBER};
            case "No" -> new int[]{Character.OTHER_NUMBER};
            case "P" -> new int[]{Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION, Character.END_PUNCTUATION,
                    Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION};
            case "Pd" -> new int[]{Character.DASH_PUNCTUATION};
            case "Po" -> new int[]{Character.OTHER_PUNCTUATION};
            case "S" -> new int[]{Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL};
            case "Sc" -> new int[]{Character.CURRENCY_SYMBOL};
            case "Sm" -> new int[]{Character.MATH_SYMBOL};
            case "Z" -> new int[]{Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR};
            case "Zs" -> new int[]{Character.SPACE_SEPARATOR};
            case "C" -> new int[]{Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.UNASSIGNED};
            case "Cc" -> new int[]{Character.CONTROL};
            default -> null;
        };
        if (types == null) return null;
        return where(c -> {
            int t = Character.getType(c);
            for (int x : types) if (x == t) return true;
            return false;
        });
    }

    private static CodePointSet ascii(IntPredicate p) {
        return where(c -> c < 0x80 && p.test(c));
    }

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
