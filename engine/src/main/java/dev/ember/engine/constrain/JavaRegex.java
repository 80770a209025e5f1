package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses the java.util.regex syntax users write for fields into an {@link Rx}. The whole output
 * must match (a leading {@code ^} / {@code \A} and a trailing {@code $} / {@code \z} are accepted and
 * mean nothing more). Supported: literals and escapes ({@code \t \n \r \f \a \e \0oo \xhh \x{h..}
 * \\uhhhh \cX \Q..\E}), {@code .}, classes with ranges, negation, nesting and {@code &&},
 * {@code \d \D \s \S \w \W \h \H \v \V}, {@code \p{..}}/{@code \P{..}} for general categories,
 * scripts and the POSIX/java classes, groups (capturing, {@code (?:..)}, named), alternation,
 * greedy and lazy quantifiers, and the flags {@code i} (ASCII case, as in java.util.regex) and {@code s}. Everything that is not a
 * regular language or changes which strings match in ways an automaton cannot follow
 * (backreferences, lookaround, atomic groups, possessive quantifiers, word boundaries) is an error
 * naming the construct.
 */
final class JavaRegex {
    private static final CodePointSet DIGIT = CodePointSet.of('0', '9');
    private static final CodePointSet WORD = CodePointSet.ofChars("_").union(CodePointSet.of('a', 'z'))
            .union(CodePointSet.of('A', 'Z')).union(DIGIT);
    private static final CodePointSet SPACE = CodePointSet.ofChars(" \t\n\u000B\f\r");
    private static final CodePointSet HSPACE = CodePointSet.ofChars(" \t\u00A0\u1680\u180e\u202f\u205f\u3000")
            .union(CodePointSet.of(0x2000, 0x200a));
    private static final CodePointSet VSPACE = CodePointSet.ofChars("\n\u000B\f\r\u0085\u2028\u2029");
    private static final CodePointSet LINE_TERMINATORS = CodePointSet.ofChars("\n\r\u0085\u2028\u2029");

    private final String p;
    private int i;
    private boolean caseInsensitive;
    private boolean dotAll;

    private JavaRegex(String pattern) { this.p = pattern; }

    static Rx parse(String pattern) {
        JavaRegex r = new JavaRegex(pattern);
        if (r.p.startsWith("^")) r.i = 1;
        else if (r.p.startsWith("\\A")) r.i = 2;
        Rx rx = r.alternation();
        if (r.i < r.p.length()) throw r.error("unbalanced ')'");
        return rx;
    }

    private ConstraintException error(String what) {
        return new ConstraintException("regex /" + p + "/ at index " + i + ": " + what);
    }

    private boolean more() { return i < p.length(); }
    private char peek() { return p.charAt(i); }
    private boolean atEndAnchor() {
        String rest = p.substring(i);
        return rest.equals("$") || rest.equals("\\z") || rest.equals("\\Z");
    }

    private Rx alternation() {
        List<Rx> options = new ArrayList<>();
        boolean savedCi = caseInsensitive, savedDot = dotAll;
        options.add(sequence());
        while (more() && peek() == '|') {
            i++;
            options.add(sequence());
        }
        caseInsensitive = savedCi;
        dotAll = savedDot;
        return Rx.alt(options);
    }

    private Rx sequence() {
        List<Rx> items = new ArrayList<>();
        while (more() && peek() != '|' && peek() != ')') {
            if (atEndAnchor()) { i = p.length(); break; }
            Rx atom = atom();
            if (atom == null) continue;      // a flag group
            items.add(quantified(atom));
        }
        return Rx.seq(items);
    }

    private Rx quantified(Rx atom) {
        if (more()) {
            char c = peek();
            int min, max;
            if (c == '*') { min = 0; max = -1; i++; }
            else if (c == '+') { min = 1; max = -1; i++; }
            else if (c == '?') { min = 0; max = 1; i++; }
            else if (c == '{') {
                // as java.util.regex: a '{' that does not open {n}, {n,} or {n,m} is an error, not a literal
                int close = p.indexOf('}', i);
                if (close < 0) throw error("unclosed '{'");
                String body = p.substring(i + 1, close);
                if (!body.matches("[0-9]+(,[0-9]*)?")) throw error("illegal repetition {" + body + "} (write \\{ for a literal brace)");
                try {
                    int comma = body.indexOf(',');
                    if (comma < 0) { min = max = Integer.parseInt(body); }
                    else {
                        min = Integer.parseInt(body.substring(0, comma));
                        max = comma == body.length() - 1 ? -1 : Integer.parseInt(body.substring(comma + 1));
                    }
                } catch (NumberFormatException e) {
                    throw error("bad repetition {" + body + "}");
                }
                if (max >= 0 && max < min) throw error("illegal repetition range {" + body + "}");
                i = close + 1;
            } else {
                return atom;
            }
            if (more() && peek() == '?') i++;                 // lazy: same set of full matches
            else if (more() && peek() == '+') throw error("possessive quantifiers are not supported");
            // one quantifier per atom: a second one (a?*, a{2}{3}) is "dangling" in java.util.regex too
            return Rx.repeat(atom, min, max);
        }
        return atom;
    }

    private Rx atom() {
        char c = peek();
        switch (c) {
            case '(' -> { return group(); }
            case '[' -> { return Rx.chars(ci(charClass())); }
            case '.' -> { i++; return Rx.chars(dotAll ? CodePointSet.ALL : LINE_TERMINATORS.complement()); }
            case '^' -> throw error("'^' is supported only at the start of the pattern");
            case '$' -> throw error("'$' is supported only at the end of the pattern");
            case '\\' -> { return escapeAtom(); }
            case '*', '+', '?', '{' -> throw error("dangling '" + c + "'");
            default -> {
                int cp = p.codePointAt(i);
                i += Character.charCount(cp);
                return Rx.chars(ci(CodePointSet.single(cp)));
            }
        }
    }

    /** {@code (?i)} folds ASCII letters only, as java.util.regex does without the u (UNICODE_CASE) flag. */
    private CodePointSet ci(CodePointSet s) { return caseInsensitive ? s.asciiCaseInsensitive() : s; }

    private Rx group() {
        i++; // (
        if (p.startsWith("?", i)) {
            if (p.startsWith("?:", i)) { i += 2; return closeGroup(); }
            if (p.startsWith("?<=", i) || p.startsWith("?<!", i)) throw error("lookbehind is not supported");
            if (p.startsWith("?=", i) || p.startsWith("?!", i)) throw error("lookahead is not supported");
            if (p.startsWith("?>", i)) throw error("atomic groups are not supported");
            if (p.startsWith("?<", i)) {
                int close = p.indexOf('>', i);
                if (close < 0) throw error("unclosed group name");
                i = close + 1;
                return closeGroup();
            }
            // flags: (?is) or (?is-x) or (?i:...)
            int j = i + 1;
            boolean on = true;
            boolean ci = caseInsensitive, da = dotAll;
            while (j < p.length() && p.charAt(j) != ')' && p.charAt(j) != ':') {
                char f = p.charAt(j++);
                switch (f) {
                    case '-' -> on = false;
                    case 'i' -> ci = on;
                    case 's' -> da = on;
                    case 'u', 'U' -> { }
                    default -> { i = j - 1; throw error("regex flag '" + f + "' is not supported"); }
                }
            }
            if (j >= p.length()) throw error("unclosed group");
            if (p.charAt(j) == ')') {      // applies to the rest of the enclosing group
                caseInsensitive = ci;
                dotAll = da;
                i = j + 1;
                return null;
            }
            boolean savedCi = caseInsensitive, savedDa = dotAll;
            caseInsensitive = ci;
            dotAll = da;
            i = j + 1;
            Rx inner = closeGroup();
            caseInsensitive = savedCi;
            dotAll = savedDa;
            return inner;
        }
        return closeGroup();
    }

    private Rx closeGroup() {
        Rx inner = alternation();
        if (!more() || peek() != ')') throw error("unclosed '('");
        i++;
        return inner;
    }

    private Rx escapeAtom() {
        if (p.startsWith("\\Q", i)) {
            int end = p.indexOf("\\E", i + 2);
            String lit = end < 0 ? p.substring(i + 2) : p.substring(i + 2, end);
            i = end < 0 ? p.length() : end + 2;
            List<Rx> items = new ArrayList<>();
            lit.codePoints().forEach(cp -> items.add(Rx.chars(ci(CodePointSet.single(cp)))));
            return Rx.seq(items);
        }
        char e = p.charAt(i + 1 < p.length() ? i + 1 : i);
        if (i + 1 >= p.length()) throw error("trailing backslash");
        switch (e) {
            case 'b', 'B' -> throw error("word boundaries (\\" + e + ") are not supported");
            case 'G' -> throw error("\\G is not supported");
            case 'k' -> throw error("backreferences are not supported");
            case 'R' -> { i += 2; return Rx.alt(Rx.literal("\r\n"), Rx.chars(VSPACE)); }
            case 'X' -> throw error("\\X (grapheme clusters) is not supported");
            case 'A', 'z', 'Z' -> throw error("anchors are supported only at the start or end of the pattern");
            default -> { }
        }
        if (e >= '1' && e <= '9') throw error("backreferences are not supported");
        return Rx.chars(ci(escapeSet(false)));
    }

    /** Parses an escape at {@code i} (the backslash) and returns the characters it stands for. */
    private CodePointSet escapeSet(boolean inClass) {
        if (i + 1 >= p.length()) throw error("trailing backslash");
        i++; // backslash
        char e = p.charAt(i++);
        return switch (e) {
            case 'd' -> DIGIT;
            case 'D' -> DIGIT.complement();
            case 'w' -> WORD;
            case 'W' -> WORD.complement();
            case 's' -> SPACE;
            case 'S' -> SPACE.complement();
            case 'h' -> HSPACE;
            case 'H' -> HSPACE.complement();
            case 'v' -> VSPACE;
            case 'V' -> VSPACE.complement();
            case 'p', 'P' -> {
                String name;
                if (more() && peek() == '{') {
                    int close = p.indexOf('}', i);
                    if (close < 0) throw error("unclosed \\p{");
                    name = p.substring(i + 1, close);
                    i = close + 1;
                } else if (more()) {
                    name = String.valueOf(p.charAt(i++));
                } else {
                    throw error("incomplete \\" + e);
                }
                CodePointSet s = UnicodeClasses.named(name);
                if (s == null) throw error("unknown character property \\" + e + "{" + name + "}");
                yield e == 'P' ? s.complement() : s;
            }
            case 't' -> CodePointSet.single('\t');
            case 'n' -> CodePointSet.single('\n');
            case 'r' -> CodePointSet.single('\r');
            case 'f' -> CodePointSet.single('\f');
            case 'a' -> CodePointSet.single(7);
            case 'e' -> CodePointSet.single(27);
            case '0' -> {
                int v = 0, n = 0;
                while (more() && n < 3 && peek() >= '0' && peek() <= '7') { v = v * 8 + (peek() - '0'); i++; n++; }
                if (n == 0) throw error("bad octal escape");
                yield CodePointSet.single(v);
            }
            case 'x' -> {
                if (more() && peek() == '{') {
                    int close = p.indexOf('}', i);
                    if (close < 0) throw error("unclosed \\x{");
                    int v = hex(p.substring(i + 1, close));
                    i = close + 1;
                    yield CodePointSet.single(v);
                }
                if (i + 2 > p.length()) throw error("bad \\x escape");
                int v = hex(p.substring(i, i + 2));
                i += 2;
                yield CodePointSet.single(v);
            }
            case 'u' -> {
                if (i + 4 > p.length()) throw error("bad \\u escape");
                int v = hex(p.substring(i, i + 4));
                i += 4;
                if (Character.isHighSurrogate((char) v) && p.startsWith("\\u", i) && i + 6 <= p.length()) {
                    int low = hex(p.substring(i + 2, i + 6));
                    if (Character.isLowSurrogate((char) low)) {
                        i += 6;
                        yield CodePointSet.single(Character.toCodePoint((char) v, (char) low));
                    }
                }
                yield CodePointSet.single(v);
            }
            case 'c' -> {
                if (!more()) throw error("bad \\c escape");
                yield CodePointSet.single(p.charAt(i++) ^ 64);
            }
            default -> {
                if (Character.isLetterOrDigit(e)) throw error("unknown escape \\" + e);
                i--;
                int cp = p.codePointAt(i);
                i += Character.charCount(cp);
                yield CodePointSet.single(cp);
            }
        };
    }

    private int hex(String s) {
        if (!s.matches("[0-9a-fA-F]+")) throw error("bad hex digits '" + s + "'");
        try {
            int v = Integer.parseInt(s, 16);
            if (v < 0 || v > CodePointSet.MAX) throw error("code point out of range: " + s);
            return v;
        } catch (NumberFormatException ex) {
            throw error("bad hex digits '" + s + "'");
        }
    }

    /** A bracketed class, {@code i} at '['. */
    private CodePointSet charClass() {
        i++; // [
        boolean negate = false;
        if (more() && peek() == '^') { negate = true; i++; }
        CodePointSet acc = CodePointSet.EMPTY;
        boolean first = true;
        while (true) {
            if (!more()) throw error("unclosed '['");
            char c = peek();
            if (c == ']' && !first) { i++; break; }
            first = false;
            if (c == '[') { acc = acc.union(charClass()); continue; }
            if (c == '&' && p.startsWith("&&", i)) {
                i += 2;
                CodePointSet rest = classRest();
                acc = acc.intersect(rest);
                break;
            }
            CodePointSet item;
            int lo = -1;
            if (c == '\\') {
                item = escapeSet(true);
                if (item.rangeCount() == 1 && item.lo(0) == item.hi(0)) lo = item.lo(0);
            } else {
                lo = p.codePointAt(i);
                i += Character.charCount(lo);
                item = CodePointSet.single(lo);
            }
            if (lo >= 0 && more() && peek() == '-' && i + 1 < p.length() && p.charAt(i + 1) != ']') {
                i++;
                int hi;
                if (peek() == '\\') {
                    CodePointSet h = escapeSet(true);
                    if (h.rangeCount() != 1 || h.lo(0) != h.hi(0)) throw error("bad range end");
                    hi = h.lo(0);
                } else {
                    hi = p.codePointAt(i);
                    i += Character.charCount(hi);
                }
                if (hi < lo) throw error("illegal character range");
                item = CodePointSet.of(lo, hi);
            }
            acc = acc.union(item);
        }
        return negate ? acc.complement() : acc;
    }

    /** The right side of {@code &&} up to and including the closing ']' of the enclosing class. */
    private CodePointSet classRest() {
        CodePointSet acc = CodePointSet.EMPTY;
        boolean first = true;
        while (true) {
            if (!more()) throw error("unclosed '['");
            char c = peek();
            if (c == ']' && !first) { i++; return acc; }
            first = false;
            if (c == '[') { acc = acc.union(charClass()); continue; }
            if (c == '&' && p.startsWith("&&", i)) { i += 2; return acc.intersect(classRest()); }
            if (c == '\\') { acc = acc.union(escapeSet(true)); continue; }
            int lo = p.codePointAt(i);
            i += Character.charCount(lo);
            if (more() && peek() == '-' && i + 1 < p.length() && p.charAt(i + 1) != ']') {
                i++;
                int hi = p.codePointAt(i);
                i += Character.charCount(hi);
                acc = acc.union(CodePointSet.of(lo, hi));
            } else {
                acc = acc.union(CodePointSet.single(lo));
            }
        }
    }
}
