package dev.ember.engine.constrain;

import java.util.List;
import java.util.Map;

/**
 * Compact JSON text exactly as constrained output writes it: no whitespace, non-ASCII characters as
 * themselves (not {@code \\u} escapes), and only {@code " \\ \n \r \t} and other C0 controls escaped.
 */
final class JsonText {
    private JsonText() {}

    static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(v, sb);
        return sb.toString();
    }

    private static void write(Object v, StringBuilder sb) {
        switch (v) {
            case null -> sb.append("null");
            case String s -> sb.append('"').append(escape(s)).append('"');
            case Boolean b -> sb.append(b);
            case Long l -> sb.append(l);
            case Double d -> {
                if (d.isNaN() || d.isInfinite()) throw new ConstraintException("JSON has no value " + d);
                if (d == Math.rint(d) && Math.abs(d) < 1e15) sb.append((long) (double) d).append(".0");
                else sb.append(d);
            }
            case Map<?, ?> m -> {
                sb.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) sb.append(',');
                    first = false;
                    sb.append('"').append(escape(String.valueOf(e.getKey()))).append("\":");
                    write(e.getValue(), sb);
                }
                sb.append('}');
            }
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) sb.append(',');
                    write(l.get(i), sb);
                }
                sb.append(']');
            }
            default -> throw new ConstraintException("not a JSON value: " + v);
        }
    }

    /** The inside of a JSON string literal for {@code s}. */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        return sb.toString();
    }
}
