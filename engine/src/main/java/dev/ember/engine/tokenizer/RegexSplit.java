package dev.ember.engine.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A split stage driven by a java.util.regex pattern: matches and the gaps between them both become
 * pieces (HF's "Isolated" behaviour).
 *
 * <p>Patterns that use Unicode classes (\p{L}, \p{N}, \p{P}, \p{S}, \p{M}) run on the collapsed
 * text, where every non-ASCII code point is replaced by a stand-in char for its class; the class
 * escapes are rewritten to "stand-in plus the ASCII members". This reproduces llama.cpp exactly,
 * including its quirks (\p{Lu} means any letter; ASCII '~' is not a symbol), where Java's own
 * \p{...} tables would differ at the edges. Patterns without classes run on the text itself with
 * non-ASCII whitespace turned into \x0B, so that \s (ASCII only in both engines) still sees it.
 *
 * <p>The pattern syntax is Java's: callers must write \z rather than $ for "end of piece" (Java's
 * $ also matches before a final line break), and escape [ inside classes (Java nests classes).
 */
final class RegexSplit implements SplitStage {
    private final Pattern pattern;
    private final boolean collapsed;

    private RegexSplit(Pattern pattern, boolean collapsed) {
        this.pattern = pattern;
        this.collapsed = collapsed;
    }

    /** A pattern using \p{..} classes, matched on the collapsed text. */
    static RegexSplit collapsed(String regex) {
        return new RegexSplit(Pattern.compile(collapseClasses(regex)), true);
    }

    /** A pattern without Unicode classes, matched on the text (non-ASCII whitespace as \x0B). */
    static RegexSplit wide(String regex) {
        if (regex.contains("\\p{")) throw new IllegalArgumentException("use collapsed() for Unicode classes: " + regex);
        return new RegexSplit(Pattern.compile(regex), false);
    }

    @Override
    public void split(SplitText text, int start, int end, IntList out) {
        String s = collapsed ? text.collapsed() : text.wide();
        int cs = collapsed ? start : text.wideCharIndex(start);
        int ce = collapsed ? end : text.wideCharIndex(end);
        Matcher m = pattern.matcher(s);
        m.region(cs, ce);
        // Opaque bounds: lookaheads must not see past the piece, as if it were the whole input.
        m.useTransparentBounds(false);
        m.useAnchoringBounds(true);
        int prev = start;
        while (m.find()) {
            if (m.end() == m.start()) continue; // none of the pre-tokenizer patterns match empty
            int ms = collapsed ? m.start() : text.wideCpIndex(m.start());
            int me = collapsed ? m.end() : text.wideCpIndex(m.end());
            if (ms > prev) out.add(ms - prev);
            out.add(me - ms);
            prev = me;
        }
        if (end > prev) out.add(end - prev);
    }

    /** ASCII members of each class as llama.cpp lists them; note '~' is missing from symbols there. */
    private static String asciiMembers(char stand) {
        return switch (stand) {
            case SplitText.COLLAPSED_NUMBER -> "0-9";
            case SplitText.COLLAPSED_LETTER -> "A-Za-z";
            case SplitText.COLLAPSED_PUNCTUATION -> "!-#%-*,-/:;?@\\[-\\]_\\{\\}";
            case SplitText.COLLAPSED_MARK -> "";
            case SplitText.COLLAPSED_SYMBOL -> "\\$\\+<->\\^`\\|";
            default -> throw new IllegalArgumentException();
        };
    }

    private static char standIn(String category) {
        return switch (category) {
            case "N" -> SplitText.COLLAPSED_NUMBER;
            // llama.cpp maps the letter subcategories to "any letter" in collapsed matching
            case "L", "Lu", "Ll", "Lt", "Lm", "Lo" -> SplitText.COLLAPSED_LETTER;
            case "P" -> SplitText.COLLAPSED_PUNCTUATION;
            case "M" -> SplitText.COLLAPSED_MARK;
            case "S" -> SplitText.COLLAPSED_SYMBOL;
            default -> throw new IllegalArgumentException("unsupported Unicode class \\p{" + category + "}");
        };
    }

    /** Rewrites each \p{X} into the collapsed-text class: its stand-in char plus its ASCII members. */
    static String collapseClasses(String regex) {
        StringBuilder sb = new StringBuilder(regex.length() * 2);
        boolean inside = false;
        for (int i = 0; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (c == '\\' && i + 1 < regex.length()) {
                if (regex.charAt(i + 1) == 'p' && i + 2 < regex.length() && regex.charAt(i + 2) == '{') {
                    int close = regex.indexOf('}', i + 3);
                    char stand = standIn(regex.substring(i + 3, close));
                    String cls = "\\x{" + Integer.toHexString(stand) + "}" + asciiMembers(stand);
                    sb.append(inside ? cls : "[" + cls + "]");
                    i = close;
                    continue;
                }
                sb.append(c).append(regex.charAt(i + 1)); // any other escape passes through whole
                i++;
                continue;
            }
            if (c > 0x7F) throw new IllegalArgumentException("collapsed patterns must be ASCII: " + regex);
            if (c == '[' && !inside) inside = true;
            else if (c == ']' && inside) inside = false;
            sb.append(c);
        }
        return sb.toString();
    }
}
