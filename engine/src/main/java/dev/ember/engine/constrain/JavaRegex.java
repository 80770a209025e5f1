package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses the java.util.regex syntax users write for fields into an {@link Rx}. The whole output
 * must match (a leading {@code ^} / {@code \A} and a trailing {@code $} / {@code \z} are accepted and
 * mean nothing more). Supported: literals and escapes ({@code \t \n \r \f \a \e \0oo \xhh \x{h..}
 * \\uhhhh \cX \Q..\E}), {@code .}, classes with ranges, negation, nesting and {@code &&},
 * {@code \d \D \s \S \w \W \h \H \v \V}, {@code \p{..}}/{@code \P{..}} for general categories,
 * scripts, blocks, binary properties and the POSIX/java classes, groups (capturing, {@code (?:..)},
 * named), alternation, greedy and lazy quantifiers, and the flags {@code i} (ASCII case, as in
 * java.util.regex) and {@code s}. Everything that is not a regular language or changes which strings
 * match in ways an automaton cannot follow (backreferences, lookaround, atomic groups, possessive
 * quantifiers, word boundaries, the {@code u}/{@code U} Unicode flags) is an error naming the construct.
 *
 * <p>Escapes and bracketed classes are a port of {@code java.util.regex.Pattern}'s own parser
 * ({@code escape}, {@code clazz}, {@code range}), because its class grammar has rules no summary
 * captures: a {@code ]} closes a class only once something is in it, {@code [a-[b]]} is no range,
 * {@code [a&&]} is {@code [a]}, case folding applies to each character and range before a
 * negation, and {@code \v} is U+000B at a range's end. Every constraint must accept only what the
 * pattern matches there, so the two parsers must agree on what a pattern means. The parser works on
 * code points, as Pattern does.
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
    /** What {@code .} matches without DOTALL: one set for every dot, so later stages that cache per set hit. */
    private static final CodePointSet DOT = LINE_TERMINATORS.complement();

    private final String p;
    /** The pattern's code points and NUL padding past the end (as Pattern.temp: lookahead never runs off). */
    private final int[] cp;
    private final int length;
    private int i;
    private boolean caseInsensitive;
    private boolean dotAll;
    private final Set<String> groupNames = new HashSet<>();
    /** The set an escape stands for when {@link #escape} returns -1 (Pattern's {@code predicate} field). */
    private CodePointSet escapedSet;

    private JavaRegex(String pattern) {
        this.p = pattern;
        int[] cps = withoutQuoting(pattern.codePoints().toArray());
        this.length = cps.length;
        this.cp = Arrays.copyOf(cps, cps.length + 4);
    }

    /**
     * Pattern's first step ({@code RemoveQEQuoting}): every {@code \Q..\E} (to the end without
     * {@code \E}) becomes escaped characters before parsing, so the parser never sees it. Doing the
     * same here, rather than reading quotes while parsing, keeps the odd cases Pattern's: the scan
     * for {@code \Q} steps over any two-character escape, so {@code \c\Q..} is a control escape
     * of the backslash that the quoting puts before the first quoted character (a fuzz finding);
     * a quantifier after {@code \E} repeats the last quoted character; a digit that starts a quote
     * is written as {@code \x3}digit so that an escape before the quote cannot absorb it.
     */
    static int[] withoutQuoting(int[] t) {
        int n = t.length, i = 0;
        while (i < n - 1) {
            if (t[i] != '\\') i += 1;
            else if (t[i + 1] != 'Q') i += 2;
            else break;
        }
        if (i >= n - 1) return t;
        int j = i;
        i += 2;
        int[] out = new int[j + 3 * (n - i) + 2];
        System.arraycopy(t, 0, out, 0, j);
        boolean inQuote = true, beginQuote = true;
        while (i < n) {
            int c = t[i++];
            boolean ascii = c < 0x80;
            if (!ascii || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                out[j++] = c;
            } else if (c >= '0' && c <= '9') {
                if (beginQuote) {
                    out[j++] = '\\';
                    out[j++] = 'x';
                    out[j++] = '3';
                }
                out[j++] = c;
            } else if (c != '\\') {
                if (inQuote) out[j++] = '\\';
                out[j++] = c;
            } else if (inQuote) {
                if (i < n && t[i] == 'E') {
                    i++;
                    inQuote = false;
                } else {
                    out[j++] = '\\';
                    out[j++] = '\\';
                }
            } else if (i < n && t[i] == 'Q') {
                i++;
                inQuote = true;
                beginQuote = true;
                continue;
            } else {
                out[j++] = c;
                if (i != n) out[j++] = t[i++];
            }
            beginQuote = false;
        }
        return Arrays.copyOf(out, j);
    }

    static Rx parse(String pattern) {
        JavaRegex r = new JavaRegex(pattern);
        if (r.startsWith("^")) r.i = 1;
        else if (r.startsWith("\\A")) r.i = 2;
        Rx rx = r.alternation();
        if (r.i < r.length) throw r.error("unbalanced ')'");
        return rx;
    }

    private ConstraintException error(String what) {
        return new ConstraintException("regex /" + p + "/ at index " + i + ": " + what);
    }

    private boolean more() { return i < length; }
    private int peek() { return cp[i]; }
    private int next() { return cp[++i]; }
    private int read() { return cp[i++]; }
    private void unread() { i--; }

    private boolean startsWith(String s) { return startsWith(s, i); }

    private boolean startsWith(String s, int at) {
        if (at + s.length() > length) return false;
        for (int k = 0; k < s.length(); k++) if (cp[at + k] != s.charAt(k)) return false;
        return true;
    }

    private int indexOf(int c, int from) {
        for (int k = from; k < length; k++) if (cp[k] == c) return k;
        return -1;
    }

    private String text(int from, int to) { return new String(cp, from, to - from); }

    private boolean atEndAnchor() {
        return (i == length - 1 && cp[i] == '$') || (i == length - 2 && (startsWith("\\z") || startsWith("\\Z")));
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
            if (atEndAnchor()) { i = length; break; }
            Rx atom = atom();
            if (atom == null) continue;      // a flag group
            items.add(quantified(atom));
        }
        return Rx.seq(items);
    }

    private Rx quantified(Rx atom) {
        if (more()) {
            int c = peek();
            int min, max;
            if (c == '*') { min = 0; max = -1; i++; }
            else if (c == '+') { min = 1; max = -1; i++; }
            else if (c == '?') { min = 0; max = 1; i++; }
            else if (c == '{') {
                // as java.util.regex: a '{' that does not open {n}, {n,} or {n,m} is an error, not a literal
                int close = indexOf('}', i);
                if (close < 0) throw error("unclosed '{'");
                String body = text(i + 1, close);
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
        int c = peek();
        switch (c) {
            case '(' -> { return group(); }
            case '[' -> { return Rx.chars(clazz(true)); }
            case '.' -> { i++; return Rx.chars(dotAll ? CodePointSet.ALL : DOT); }
            case '^' -> throw error("'^' is supported only at the start of the pattern");
            case '$' -> throw error("'$' is supported only at the end of the pattern");
            case '\\' -> { return escapeAtom(); }
            case '*', '+', '?', '{' -> throw error("dangling '" + Character.toString(c) + "'");
            default -> {
                i++;
                return Rx.chars(single(c));
            }
        }
    }

    /**
     * One character as a literal: under {@code (?i)} with its other ASCII case, as java.util.regex
     * folds without UNICODE_CASE ({@code (?i)Σ} does not match σ there).
     */
    private CodePointSet single(int c) {
        CodePointSet s = CodePointSet.single(c);
        return caseInsensitive ? s.asciiCaseInsensitive() : s;
    }

    private Rx group() {
        i++; // (
        if (startsWith("?")) {
            if (startsWith("?:")) { i += 2; return closeGroup(); }
            if (startsWith("?<=") || startsWith("?<!")) throw error("lookbehind is not supported");
            if (startsWith("?=") || startsWith("?!")) throw error("lookahead is not supported");
            if (startsWith("?>")) throw error("atomic groups are not supported");
            if (startsWith("?<")) {
                i += 2;
                // as java.util.regex: an ASCII letter, then ASCII letters and digits; each name once
                int start = i;
                if (!isAsciiLetter(peek())) throw error("capturing group name does not start with a Latin letter");
                while (isAsciiLetter(peek()) || (peek() >= '0' && peek() <= '9')) i++;
                if (peek() != '>') throw error("named capturing group is missing trailing '>'");
                String name = text(start, i);
                if (!groupNames.add(name)) throw error("named capturing group <" + name + "> is already defined");
                i++;
                return closeGroup();
            }
            // flags: (?is) or (?is-x) or (?i:...)
            int j = i + 1;
            boolean on = true;
            boolean ci = caseInsensitive, da = dotAll;
            while (j < length && cp[j] != ')' && cp[j] != ':') {
                int f = cp[j++];
                switch (f) {
                    case '-' -> {
                        if (!on) { i = j - 1; throw error("unknown inline modifier (a second '-')"); }
                        on = false;
                    }
                    case 'i' -> ci = on;
                    case 's' -> da = on;
                    case 'u', 'U' -> { i = j - 1; throw error("regex flag '" + Character.toString(f) + "' (Unicode case or classes) is not supported"); }
                    default -> { i = j - 1; throw error("regex flag '" + Character.toString(f) + "' is not supported"); }
                }
            }
            if (j >= length) throw error("unclosed group");
            if (cp[j] == ')') {      // applies to the rest of the enclosing group
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

    private static boolean isAsciiLetter(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

    private Rx closeGroup() {
        Rx inner = alternation();
        if (!more() || peek() != ')') throw error("unclosed '('");
        i++;
        return inner;
    }

    private Rx escapeAtom() {
        if (i + 1 >= length) throw error("trailing backslash");
        int e = cp[i + 1];
        if (e == 'p' || e == 'P') {
            i += 2;
            return Rx.chars(family(e == 'P'));
        }
        if (e == 'R') {   // a line break: \r\n or one vertical space
            i += 2;
            return Rx.alt(Rx.literal("\r\n"), Rx.chars(VSPACE));
        }
        int c = escape(false, false);
        return Rx.chars(c >= 0 ? single(c) : escapedSet);
    }

    /**
     * Pattern.escape: {@code i} at the backslash. Returns the character, or -1 with
     * {@link #escapedSet} holding the class it stands for ({@code \d}, {@code \s}, …).
     * {@code isRange}: the escape starts or ends a range, where {@code \v} means U+000B.
     */
    private int escape(boolean inClass, boolean isRange) {
        int e = cp[i + 1];
        if (i + 1 >= length) throw error("trailing backslash");
        i += 2;
        switch (e) {
            case '0' -> { return octal(); }
            case '1', '2', '3', '4', '5', '6', '7', '8', '9' -> {
                if (inClass) throw error("illegal/unsupported escape sequence \\" + Character.toString(e));
                throw error("backreferences are not supported");
            }
            case 'b', 'B' -> {
                if (inClass) throw error("illegal/unsupported escape sequence \\" + Character.toString(e));
                throw error("word boundaries (\\" + Character.toString(e) + ") are not supported");
            }
            case 'G' -> throw error(inClass ? "illegal/unsupported escape sequence \\G" : "\\G is not supported");
            case 'k' -> throw error(inClass ? "illegal/unsupported escape sequence \\k" : "backreferences are not supported");
            case 'R' -> throw error("illegal/unsupported escape sequence \\R");   // outside classes escapeAtom reads it
            case 'X' -> throw error(inClass ? "illegal/unsupported escape sequence \\X" : "\\X (grapheme clusters) is not supported");
            case 'A', 'z', 'Z' -> throw error(inClass ? "illegal/unsupported escape sequence \\" + Character.toString(e)
                    : "anchors are supported only at the start or end of the pattern");
            case 'N' -> throw error("\\N{name} is not supported");
            case 'd' -> { escapedSet = DIGIT; return -1; }
            case 'D' -> { escapedSet = DIGIT.complement(); return -1; }
            case 'w' -> { escapedSet = WORD; return -1; }
            case 'W' -> { escapedSet = WORD.complement(); return -1; }
            case 's' -> { escapedSet = SPACE; return -1; }
            case 'S' -> { escapedSet = SPACE.complement(); return -1; }
            case 'h' -> { escapedSet = HSPACE; return -1; }
            case 'H' -> { escapedSet = HSPACE.complement(); return -1; }
            case 'v' -> {
                if (isRange) return 0x0B;   // Pattern's compatibility rule: \v in a range is VT
                escapedSet = VSPACE;
                return -1;
            }
            case 'V' -> { escapedSet = VSPACE.complement(); return -1; }
            case 'a' -> { return 7; }
            case 'e' -> { return 27; }
            case 'f' -> { return '\f'; }
            case 'n' -> { return '\n'; }
            case 'r' -> { return '\r'; }
            case 't' -> { return '\t'; }
            case 'c' -> {
                if (i < length) return read() ^ 64;
                throw error("illegal control escape sequence");
            }
            case 'x' -> { return hexEscape(); }
            case 'u' -> { return unicodeEscape(); }
            case 'C', 'E', 'F', 'I', 'J', 'K', 'L', 'M', 'O', 'P', 'Q', 'T', 'U', 'Y',
                 'g', 'i', 'j', 'l', 'm', 'o', 'p', 'q', 'y' -> throw error("illegal/unsupported escape sequence \\" + Character.toString(e));
            default -> { return e; }
        }
    }

    /** Pattern.o: up to three octal digits, the first at most 3 when there are three. */
    private int octal() {
        int n = read();
        if (n >= '0' && n <= '7') {
            int m = read();
            if (m >= '0' && m <= '7') {
                int o = read();
                if (o >= '0' && o <= '7' && n <= '3') return (n - '0') * 64 + (m - '0') * 8 + (o - '0');
                unread();
                return (n - '0') * 8 + (m - '0');
            }
            unread();
            return n - '0';
        }
        throw error("illegal octal escape sequence");
    }

    private static int hexDigit(int c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /** Pattern.x: {@code \xhh} or {@code \x{h..}}. */
    private int hexEscape() {
        int n = read();
        if (hexDigit(n) >= 0) {
            int m = read();
            if (hexDigit(m) >= 0) return hexDigit(n) * 16 + hexDigit(m);
        } else if (n == '{' && hexDigit(peek()) >= 0) {
            int v = 0;
            while (hexDigit(n = read()) >= 0) {
                v = (v << 4) + hexDigit(n);
                if (v > Character.MAX_CODE_POINT) throw error("hexadecimal code point is too big");
            }
            if (n != '}') throw error("unclosed hexadecimal escape sequence");
            return v;
        }
        throw error("illegal hexadecimal escape sequence");
    }

    /** Pattern.u: {@code \\uhhhh}, a surrogate pair of two such escapes being one code point. */
    private int unicodeEscape() {
        int n = uxxxx();
        if (Character.isHighSurrogate((char) n)) {
            int at = i;
            if (read() == '\\' && read() == 'u') {
                int low = uxxxx();
                if (Character.isLowSurrogate((char) low)) return Character.toCodePoint((char) n, (char) low);
            }
            i = at;
        }
        return n;
    }

    private int uxxxx() {
        int v = 0;
        for (int k = 0; k < 4; k++) {
            int d = hexDigit(read());
            if (d < 0) throw error("illegal Unicode escape sequence");
            v = v * 16 + d;
        }
        return v;
    }

    /** Pattern.family: {@code i} just after {@code \p} or {@code \P}. */
    private CodePointSet family(boolean complement) {
        String name;
        if (peek() == '{') {
            int close = indexOf('}', i);
            if (close < 0) throw error("unclosed character family");
            if (close == i + 1) throw error("empty character family");
            name = text(i + 1, close);
            i = close + 1;
        } else if (more()) {
            name = Character.toString(read());
        } else {
            throw error("incomplete \\" + (complement ? "P" : "p"));
        }
        CodePointSet s = UnicodeClasses.named(name, caseInsensitive);
        if (s == null) throw error("unknown character property \\" + (complement ? "P" : "p") + "{" + name + "}");
        return complement ? s.complement() : s;
    }

    /**
     * Pattern.clazz: {@code i} at the '[' ({@code consume}: the closing ']' is read too) or, for the
     * right side of {@code &&}, one before its first character. Single characters below 256 gather in
     * {@code bits} (Pattern's BitClass), which joins the result only at ']' or '&&': that decides when
     * a ']' may close the class and what an intersection binds.
     */
    private CodePointSet clazz(boolean consume) {
        CodePointSet prev = null, curr = null, bits = CodePointSet.EMPTY;
        boolean hasBits = false, bitsTaken = false, negate = false;
        int ch = next();
        if (ch == '^' && cp[i - 1] == '[') {
            ch = next();
            negate = true;
        }
        while (true) {
            switch (ch) {
                case '[' -> {
                    curr = clazz(true);
                    prev = prev == null ? curr : prev.union(curr);
                    ch = peek();
                    continue;
                }
                case '&' -> {
                    ch = next();
                    if (ch == '&') {
                        ch = next();
                        CodePointSet right = null;
                        while (ch != ']' && ch != '&') {
                            CodePointSet part;
                            if (ch == '[') {
                                part = clazz(true);
                            } else {
                                unread();
                                part = clazz(false);
                            }
                            right = right == null ? part : right.union(part);
                            ch = peek();
                        }
                        if (hasBits) {
                            prev = prev == null ? (curr = bits) : prev.union(bits);
                            hasBits = false;
                            bitsTaken = true;
                        }
                        if (right != null) curr = right;
                        if (prev == null) {
                            if (right == null) throw error("bad class syntax");
                            prev = right;
                        } else {
                            if (curr == null) throw error("bad intersection syntax");
                            prev = prev.intersect(curr);
                        }
                        continue;
                    }
                    unread();   // a single '&' is a literal
                }
                case 0 -> {
                    if (i >= length) throw error("unclosed character class");
                }
                case ']' -> {
                    if (prev != null || hasBits) {
                        if (consume) next();
                        if (prev == null) prev = bits;
                        else if (hasBits) prev = prev.union(bits);
                        return negate ? prev.complement() : prev;
                    }
                }
                default -> { }
            }
            CodePointSet item = range();
            if (item == null) {
                // Pattern's BitClass is one mutable object: a character added after an intersection
                // took it would change that intersection too. Too tangled to mean anything: refuse.
                if (bitsTaken) throw error("a character after an intersection in the same class (put '&&' last)");
                bits = bits.union(rangeBits);
                hasBits = true;
                curr = null;
            } else {
                curr = item;
                prev = prev == null ? curr : prev.union(curr);
            }
            ch = peek();
        }
    }

    /** What {@link #range} put into the class's bits when it returned null. */
    private CodePointSet rangeBits;

    /**
     * Pattern.range: a character, a range or an escape at {@code i}. Returns its set, or null for a
     * single character below 256 (then in {@link #rangeBits}, case-folded under {@code (?i)}).
     */
    private CodePointSet range() {
        int ch = peek();
        if (ch == '\\') {
            int e = cp[i + 1];
            if (e == 'p' || e == 'P') {
                i += 2;
                return family(e == 'P');
            }
            boolean isRange = cp[i + 2] == '-';
            ch = escape(true, isRange);
            if (ch == -1) return escapedSet;
        } else {
            next();
        }
        if (peek() == '-') {
            int end = cp[i + 1];
            if (end != '[' && end != ']') {
                next();
                int m = peek();
                if (m == '\\') m = escape(true, true) ; else next();
                if (m < ch) throw error("illegal character range");
                CodePointSet r = CodePointSet.of(ch, m);
                return caseInsensitive ? r.asciiCaseInsensitive() : r;
            }
        }
        if (ch < 256) {
            rangeBits = single(ch);
            return null;
        }
        return single(ch);
    }
}
