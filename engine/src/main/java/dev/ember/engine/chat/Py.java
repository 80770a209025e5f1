package dev.ember.engine.chat;

import java.math.BigDecimal;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's value semantics for template values, because chat templates are written against
 * jinja2 on Python and the prompt must match byte for byte. Values are: {@code null} (None),
 * {@link Undefined}, Boolean, Long (int), Double (float), String, List (list; {@link Tuple} for
 * tuples), Map (dict, insertion ordered), {@link Namespace}, and {@link Callable}s. No other
 * object ever reaches a template, which is what keeps it from reflection.
 */
final class Py {
    private Py() {}

    /** jinja2's Undefined: prints as "", is false, iterates as empty; anything else with it fails. */
    record Undefined(String name) {
        @Override public String toString() { return ""; }
    }

    /** A tuple: a list that prints with parentheses. */
    static final class Tuple extends AbstractList<Object> {
        final List<Object> items;
        Tuple(List<Object> items) { this.items = items; }
        static Tuple of(Object... items) { return new Tuple(java.util.Arrays.asList(items)); }
        @Override public Object get(int i) { return items.get(i); }
        @Override public int size() { return items.size(); }
    }

    /** jinja2's namespace(): the one mutable object, so that loops can carry state out. */
    static final class Namespace {
        final Map<String, Object> attrs = new LinkedHashMap<>();
    }

    /** Functions, macros and bound methods. */
    interface Callable {
        Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs);
    }

    static ChatTemplateException fail(String message) {
        return new ChatTemplateException(message);
    }

    /** Python's str.isspace() for one character. */
    static boolean isSpace(int c) {
        return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f) || c == 0x85 || c == 0xa0 || c == 0x1680
                || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
    }

    static boolean truthy(Object v) {
        return switch (v) {
            case null -> false;
            case Undefined u -> false;
            case Boolean b -> b;
            case Long l -> l != 0;
            case Double d -> d != 0;
            case String s -> !s.isEmpty();
            case List<?> l -> !l.isEmpty();
            case Map<?, ?> m -> !m.isEmpty();
            default -> true;
        };
    }

    static String typeName(Object v) {
        return switch (v) {
            case null -> "NoneType";
            case Undefined u -> "Undefined";
            case Boolean b -> "bool";
            case Long l -> "int";
            case Double d -> "float";
            case String s -> "str";
            case Tuple t -> "tuple";
            case List<?> l -> "list";
            case Map<?, ?> m -> "dict";
            case Namespace n -> "Namespace";
            default -> "function";
        };
    }

    /** str(v). */
    static String str(Object v) {
        return switch (v) {
            case null -> "None";
            case String s -> s;
            case Undefined u -> "";
            default -> repr(v);
        };
    }

    /** repr(v). */
    static String repr(Object v) {
        StringBuilder b = new StringBuilder();
        repr(v, b, 0);
        return b.toString();
    }

    private static void repr(Object v, StringBuilder b, int depth) {
        if (depth > 100) throw fail("a value nests too deeply to print");
        switch (v) {
            case null -> b.append("None");
            case Undefined u -> b.append("");
            case Boolean x -> b.append(x ? "True" : "False");
            case Long x -> b.append(x);
            case Double x -> b.append(floatRepr(x));
            case String s -> stringRepr(s, b);
            case Tuple t -> {
                b.append('(');
                for (int i = 0; i < t.size(); i++) {
                    if (i > 0) b.append(", ");
                    repr(t.get(i), b, depth + 1);
                }
                if (t.size() == 1) b.append(',');
                b.append(')');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(", ");
                    repr(l.get(i), b, depth + 1);
                }
                b.append(']');
            }
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) b.append(", ");
                    first = false;
                    repr(e.getKey(), b, depth + 1);
                    b.append(": ");
                    repr(e.getValue(), b, depth + 1);
                }
                b.append('}');
            }
            case Namespace n -> {
                b.append("<Namespace ");
                repr(n.attrs, b, depth + 1);
                b.append('>');
            }
            default -> b.append("<function>");
        }
    }

    private static void stringRepr(String s, StringBuilder b) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        b.append(q);
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c == q) b.append('\\').append((char) c);
                    else if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", c));
                    else if (!printable(c)) b.append(c <= 0xff ? String.format("\\x%02x", c) : c <= 0xffff ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
                    else b.appendCodePoint(c);
                }
            }
        }
        b.append(q);
    }

    /** Close to Python's str.isprintable(): separators and control/format/unassigned characters are escaped. */
    private static boolean printable(int c) {
        if (c == ' ') return true;
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.SURROGATE, Character.PRIVATE_USE, Character.UNASSIGNED,
                 Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR, Character.SPACE_SEPARATOR -> false;
            default -> true;
        };
    }

    /** Python's repr(float): the shortest round-tripping digits, positional between 1e-4 and 1e16. */
    static String floatRepr(double d) {
        if (Double.isNaN(d)) return "nan";
        if (Double.isInfinite(d)) return d > 0 ? "inf" : "-inf";
        if (d == 0) return (1 / d < 0) ? "-0.0" : "0.0";
        BigDecimal bd = new BigDecimal(Double.toString(Math.abs(d))).stripTrailingZeros();
        String digits = bd.unscaledValue().toString();
        int decpt = digits.length() - bd.scale();  // value = 0.digits * 10^decpt
        StringBuilder b = new StringBuilder(d < 0 ? "-" : "");
        if (decpt > -4 && decpt <= 16) {
            if (decpt <= 0) {
                b.append("0.").append("0".repeat(-decpt)).append(digits);
            } else if (decpt >= digits.length()) {
                b.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
            } else {
                b.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
            }
        } else {
            b.append(digits.charAt(0));
            if (digits.length() > 1) b.append('.').append(digits, 1, digits.length());
            int exp = decpt - 1;
            b.append('e').append(exp < 0 ? '-' : '+');
            String e = Integer.toString(Math.abs(exp));
            if (e.length() < 2) b.append('0');
            b.append(e);
        }
        return b.toString();
    }

    static boolean isNumber(Object v) {
        return v instanceof Long || v instanceof Double || v instanceof Boolean;
    }

    static double toDouble(Object v) {
        return switch (v) {
            case Long l -> l;
            case Double d -> d;
            case Boolean b -> b ? 1 : 0;
            case null, default -> throw fail("expected a number, got " + typeName(v));
        };
    }

    /** An int (bools count, as in Python). */
    static long toLong(Object v) {
        return switch (v) {
            case Long l -> l;
            case Boolean b -> b ? 1 : 0;
            case null, default -> throw fail("expected an integer, got " + typeName(v));
        };
    }

    static boolean isInt(Object v) {
        return v instanceof Long || v instanceof Boolean;
    }

    static boolean eq(Object a, Object b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) return toLong(a) == toLong(b);
            return toDouble(a) == toDouble(b);
        }
        if (a instanceof Undefined && b instanceof Undefined) return true;
        if (a instanceof String s) return s.equals(b);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if ((a instanceof Tuple) != (b instanceof Tuple) || x.size() != y.size()) return false;
            for (int i = 0; i < x.size(); i++) if (!eq(x.get(i), y.get(i))) return false;
            return true;
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) return false;
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !eq(e.getValue(), y.get(e.getKey()))) return false;
            }
            return true;
        }
        return a.equals(b);
    }

    /** Python's ordering of two values of comparable types; anything else is a TypeError. */
    static int compare(Object a, Object b) {
        if (isNumber(a) && isNumber(b)) {
            if (isInt(a) && isInt(b)) return Long.compare(toLong(a), toLong(b));
            return Double.compare(toDouble(a), toDouble(b));
        }
        if (a instanceof String x && b instanceof String y) return compareCodePoints(x, y);
        if (a instanceof List<?> x && b instanceof List<?> y) {
            for (int i = 0; i < Math.min(x.size(), y.size()); i++) {
                if (!eq(x.get(i), y.get(i))) return compare(x.get(i), y.get(i));
            }
            return Integer.compare(x.size(), y.size());
        }
        throw fail("cannot compare " + typeName(a) + " with " + typeName(b));
    }

    private static int compareCodePoints(String x, String y) {
        int i = 0, j = 0;
        while (i < x.length() && j < y.length()) {
            int a = x.codePointAt(i), b = y.codePointAt(j);
            if (a != b) return Integer.compare(a, b);
            i += Character.charCount(a);
            j += Character.charCount(b);
        }
        return Boolean.compare(i < x.length(), j < y.length());
    }

    /** len(v). */
    static int len(Object v) {
        return switch (v) {
            case String s -> s.codePointCount(0, s.length());
            case List<?> l -> l.size();
            case Map<?, ?> m -> m.size();
            case Undefined u -> 0;
            case null, default -> throw fail("object of type '" + typeName(v) + "' has no len()");
        };
    }

    /** What "for x in v" visits: list items, dict keys, string characters. */
    static List<Object> iterate(Object v) {
        return switch (v) {
            case List<?> l -> new ArrayList<>(l);
            case Map<?, ?> m -> new ArrayList<>(m.keySet());
            case String s -> chars(s);
            case Undefined u -> new ArrayList<>();
            case null, default -> throw fail("'" + typeName(v) + "' object is not iterable");
        };
    }

    static List<Object> chars(String s) {
        List<Object> out = new ArrayList<>();
        s.codePoints().forEach(c -> out.add(Character.toString(c)));
        return out;
    }

    static boolean contains(Object container, Object item) {
        return switch (container) {
            case String s -> {
                if (!(item instanceof String x)) throw fail("'in <string>' requires string as left operand, not " + typeName(item));
                yield s.contains(x);
            }
            case List<?> l -> {
                for (Object o : l) if (eq(o, item)) yield true;
                yield false;
            }
            case Map<?, ?> m -> m.containsKey(item);
            case Undefined u -> false;
            case null, default -> throw fail("argument of type '" + typeName(container) + "' is not iterable");
        };
    }

    /** Python's slice indices for a sequence of {@code n} items, as (start, stop, step). */
    static long[] sliceIndices(Object start, Object stop, Object step, int n) {
        long st = step == null ? 1 : toLong(step);
        if (st == 0) throw fail("slice step cannot be zero");
        long lo, hi;
        if (st > 0) {
            lo = start == null ? 0 : clampIndex(toLong(start), n, 0, n);
            hi = stop == null ? n : clampIndex(toLong(stop), n, 0, n);
        } else {
            lo = start == null ? n - 1 : clampIndex(toLong(start), n, -1, n - 1);
            hi = stop == null ? -1 : clampIndex(toLong(stop), n, -1, n - 1);
        }
        return new long[]{lo, hi, st};
    }

    private static long clampIndex(long i, int n, long min, long max) {
        if (i < 0) i += n;
        return Math.max(min, Math.min(max, i));
    }

    static <T> List<T> slice(List<T> items, long[] idx) {
        List<T> out = new ArrayList<>();
        if (idx[2] > 0) for (long i = idx[0]; i < idx[1]; i += idx[2]) out.add(items.get((int) i));
        else for (long i = idx[0]; i > idx[1]; i += idx[2]) out.add(items.get((int) i));
        return out;
    }
}
