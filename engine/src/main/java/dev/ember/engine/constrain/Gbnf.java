package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * llama.cpp's GBNF grammars: {@code name ::= alternatives}, string literals, character classes
 * ({@code [a-z]}, {@code [^"]}), {@code .}, rule references, groups and the quantifiers
 * {@code * + ? {m} {m,} {m,n}}, with {@code #} comments; generation starts at {@code root}.
 *
 * <p>Grammars are compiled to the same finite automaton as everything else. A rule that refers back
 * to itself (directly or through others, as JSON's value/object/array do) is unrolled: each rule may
 * be open at most {@code depth} times on the expansion path, and a branch that would open it once
 * more is dropped. So every output is a sentence of the grammar; only nesting deeper than the limit
 * is not available. A grammar whose root needs deeper nesting than that is an error.
 */
final class Gbnf {
    private static final int MAX_NODES = 2_000_000;

    private sealed interface Expr {}
    private record Lit(String text) implements Expr {}
    private record Cls(CodePointSet set) implements Expr {}
    private record Ref(String name) implements Expr {}
    private record Seq(List<Expr> items) implements Expr {}
    private record Alt(List<Expr> options) implements Expr {}
    private record Rep(Expr item, int min, int max) implements Expr {}

    private final String src;
    private int i;
    private final Map<String, Expr> rules = new LinkedHashMap<>();
    private final Map<String, Integer> open = new HashMap<>();
    private final int depth;
    private int nodes;

    private Gbnf(String src, int depth) {
        this.src = src;
        this.depth = depth;
    }

    static Rx compile(String grammar, int depth) {
        if (depth < 1) throw new ConstraintException("grammar depth must be >= 1, got " + depth);
        Gbnf g = new Gbnf(grammar, depth);
        g.parse();
        if (!g.rules.containsKey("root")) throw new ConstraintException("grammar has no 'root' rule");
        Rx rx = g.expand(new Ref("root"));
        if (rx instanceof Rx.Nothing) {
            throw new ConstraintException("grammar: 'root' cannot finish within " + depth + " levels of recursion");
        }
        return rx;
    }

    private ConstraintException error(String what) {
        int line = 1;
        for (int k = 0; k < Math.min(i, src.length()); k++) if (src.charAt(k) == '\n') line++;
        return new ConstraintException("grammar line " + line + ": " + what);
    }

    // ---- parsing ----

    private void parse() {
        skip();
        while (i < src.length()) {
            String name = name();
            if (name.isEmpty()) throw error("expected a rule name");
            skip();
            if (!src.startsWith("::=", i)) throw error("expected '::=' after '" + name + "'");
            i += 3;
            if (rules.containsKey(name)) throw error("rule '" + name + "' is defined twice");
            rules.put(name, alternates(false));
            skip();
        }
    }

    private void skip() {
        while (i < src.length()) {
            char c = src.charAt(i);
            if (c == '#') {
                while (i < src.length() && src.charAt(i) != '\n') i++;
            } else if (Character.isWhitespace(c)) {
                i++;
            } else {
                return;
            }
        }
    }

    private static boolean nameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private String name() {
        int s = i;
        while (i < src.length() && nameChar(src.charAt(i))) i++;
        return src.substring(s, i);
    }

    /** True when the next thing is the start of a new rule ({@code name ::=}). */
    private boolean atRuleStart() {
        int save = i;
        String n = name();
        skip();
        boolean r = !n.isEmpty() && src.startsWith("::=", i);
        i = save;
        return r;
    }

    private Expr alternates(boolean nested) {
        List<Expr> options = new ArrayList<>();
        options.add(sequence(nested));
        while (i < src.length() && src.charAt(i) == '|') {
            i++;
            options.add(sequence(nested));
        }
        return options.size() == 1 ? options.getFirst() : new Alt(options);
    }

    private Expr sequence(boolean nested) {
        List<Expr> items = new ArrayList<>();
        while (true) {
            skip();
            if (i >= src.length()) break;
            char c = src.charAt(i);
            if (c == '|' || c == ')') break;
            if (!nested && nameChar(c) && atRuleStart()) break;
            Expr e = element();
            items.add(quantifier(e));
        }
        return items.size() == 1 ? items.getFirst() : new Seq(items);
    }

    private Expr element() {
        char c = src.charAt(i);
        if (c == '"') {
            i++;
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (i >= src.length()) throw error("unclosed string literal");
                char d = src.charAt(i);
                if (d == '"') { i++; break; }
                sb.appendCodePoint(d == '\\' ? escape() : src.codePointAt(i));
                if (d != '\\') i += Character.charCount(src.codePointAt(i));
            }
            return new Lit(sb.toString());
        }
        if (c == '[') {
            i++;
            boolean negate = i < src.length() && src.charAt(i) == '^';
            if (negate) i++;
            CodePointSet set = CodePointSet.EMPTY;
            while (true) {
                if (i >= src.length()) throw error("unclosed character class");
                if (src.charAt(i) == ']') { i++; break; }
                int lo = classChar();
                int hi = lo;
                if (i + 1 < src.length() && src.charAt(i) == '-' && src.charAt(i + 1) != ']') {
                    i++;
                    hi = classChar();
                    if (hi < lo) throw error("bad character range");
                }
                set = set.union(CodePointSet.of(lo, hi));
            }
            return new Cls(negate ? set.complement() : set);
        }
        if (c == '.') {
            i++;
            return new Cls(CodePointSet.ALL);
        }
        if (c == '(') {
            i++;
            Expr e = alternates(true);
            skip();
            if (i >= src.length() || src.charAt(i) != ')') throw error("expected ')'");
            i++;
            return e;
        }
        if (nameChar(c)) return new Ref(name());
        throw error("unexpected '" + c + "'");
    }

    private int classChar() {
        if (src.charAt(i) == '\\') return escape();
        int cp = src.codePointAt(i);
        i += Character.charCount(cp);
        return cp;
    }

    /** An escape at {@code i} (the backslash); returns the code point and moves past it. */
    private int escape() {
        i++;
        if (i >= src.length()) throw error("trailing backslash");
        char e = src.charAt(i++);
        return switch (e) {
            case 'n' -> '\n';
            case 'r' -> '\r';
            case 't' -> '\t';
            case '\\', '"', '[', ']', '-', '^' -> e;
            case 'x' -> hex(2);
            case 'u' -> hex(4);
            case 'U' -> hex(8);
            default -> throw error("unknown escape '\\" + e + "'");
        };
    }

    private int hex(int n) {
        if (i + n > src.length()) throw error("short hex escape");
        String digits = src.substring(i, i + n);
        // hex digits only (Integer.parseInt would take a sign), and a code point that exists
        if (!digits.matches("[0-9a-fA-F]+")) throw error("bad hex escape '" + digits + "'");
        long v = Long.parseLong(digits, 16);
        if (v > Character.MAX_CODE_POINT) throw error("hex escape " + digits + " is beyond U+10FFFF");
        // a surrogate is no character of UTF-8 text: in a literal it would become '?'
        if (v >= Character.MIN_SURROGATE && v <= Character.MAX_SURROGATE) throw error("hex escape " + digits + " is a surrogate, not a character");
        i += n;
        return (int) v;
    }

    private Expr quantifier(Expr e) {
        while (i < src.length()) {
            char c = src.charAt(i);
            if (c == '*') { i++; e = new Rep(e, 0, -1); }
            else if (c == '+') { i++; e = new Rep(e, 1, -1); }
            else if (c == '?') { i++; e = new Rep(e, 0, 1); }
            else if (c == '{') {
                int close = src.indexOf('}', i);
                if (close < 0) throw error("unclosed '{'");
                String body = src.substring(i + 1, close).replace(" ", "");
                // digits only: Integer.parseInt would take "-1" or "+2"
                if (!body.matches("[0-9]+(,[0-9]*)?")) throw error("bad repetition {" + body + "}");
                int min, max;
                try {
                    int comma = body.indexOf(',');
                    if (comma < 0) min = max = Integer.parseInt(body);
                    else {
                        min = Integer.parseInt(body.substring(0, comma));
                        max = comma == body.length() - 1 ? -1 : Integer.parseInt(body.substring(comma + 1));
                    }
                } catch (NumberFormatException ex) {
                    throw error("bad repetition {" + body + "}");
                }
                i = close + 1;
                e = new Rep(e, min, max);
            } else {
                return e;
            }
        }
        return e;
    }

    // ---- expansion ----

    private Rx expand(Expr e) {
        if (++nodes > MAX_NODES) {
            throw new ConstraintException("grammar expands to more than " + MAX_NODES + " nodes; lower the grammar depth");
        }
        return switch (e) {
            case Lit l -> Rx.literal(l.text());
            case Cls c -> Rx.chars(c.set());
            case Seq s -> Rx.seq(s.items().stream().map(this::expand).toList());
            case Alt a -> Rx.alt(a.options().stream().map(this::expand).toList());
            case Rep r -> Rx.repeat(expand(r.item()), r.min(), r.max());
            case Ref r -> {
                Expr body = rules.get(r.name());
                if (body == null) throw new ConstraintException("grammar: rule '" + r.name() + "' is used but not defined");
                int n = open.getOrDefault(r.name(), 0);
                if (n >= depth) yield Rx.NOTHING;
                open.put(r.name(), n + 1);
                try {
                    yield expand(body);
                } finally {
                    open.put(r.name(), n);
                }
            }
        };
    }
}
