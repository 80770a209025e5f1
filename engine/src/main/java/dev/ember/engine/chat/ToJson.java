package dev.ember.engine.chat;

import dev.ember.engine.chat.Py.Undefined;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code tojson} filter as transformers defines it: Python's {@code json.dumps(x,
 * ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)}, byte for byte
 * (", " and ": " between items without indent; "," and newlines with it).
 */
final class ToJson {
    private ToJson() {}

    static String dumps(Interpreter in, Object v, String indent, String itemSep, String keySep, boolean sortKeys, boolean ensureAscii) {
        if (itemSep == null) itemSep = indent == null ? ", " : ",";
        if (keySep == null) keySep = ": ";
        StringBuilder b = new StringBuilder();
        write(in, v, b, indent, itemSep, keySep, sortKeys, ensureAscii, 0);
        return b.toString();
    }

    private static void write(Interpreter in, Object v, StringBuilder b, String indent, String itemSep, String keySep,
                              boolean sortKeys, boolean ensureAscii, int level) {
        if (level > 100) throw Py.fail("a value nests too deeply for tojson");
        in.checkSize(b.length());
        switch (v) {
            case null -> b.append("null");
            case Boolean x -> b.append(x ? "true" : "false");
            case Long x -> b.append(x);
            case Double x -> b.append(Double.isNaN(x) ? "NaN" : Double.isInfinite(x) ? (x > 0 ? "Infinity" : "-Infinity") : Py.floatRepr(x));
            case String s -> string(s, b, ensureAscii);
            case List<?> l -> {
                if (l.isEmpty()) { b.append("[]"); return; }
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) b.append(itemSep);
                    newline(b, indent, level + 1);
                    write(in, l.get(i), b, indent, itemSep, keySep, sortKeys, ensureAscii, level + 1);
                }
                newline(b, indent, level);
                b.append(']');
            }
            case Map<?, ?> m -> {
                if (m.isEmpty()) { b.append("{}"); return; }
                List<Map.Entry<String, Object>> entries = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) entries.add(Map.entry(key(e.getKey()), e.getValue() == null ? NULL : e.getValue()));
                if (sortKeys) entries.sort(Map.Entry.comparingByKey());
                b.append('{');
                for (int i = 0; i < entries.size(); i++) {
                    if (i > 0) b.append(itemSep);
                    newline(b, indent, level + 1);
                    string(entries.get(i).getKey(), b, ensureAscii);
                    b.append(keySep);
                    Object value = entries.get(i).getValue();
                    write(in, value == NULL ? null : value, b, indent, itemSep, keySep, sortKeys, ensureAscii, level + 1);
                }
                newline(b, indent, level);
                b.append('}');
            }
            default -> throw Py.fail("Object of type " + (v instanceof Undefined ? "Undefined" : Py.typeName(v)) + " is not JSON serializable");
        }
    }

    private static final Object NULL = new Object();

    private static String key(Object k) {
        return switch (k) {
            case String s -> s;
            case null -> "null";
            case Boolean x -> x ? "true" : "false";
            case Long x -> x.toString();
            case Double x -> Py.floatRepr(x);
            default -> throw Py.fail("keys must be str, int, float, bool or None, not " + Py.typeName(k));
        };
    }

    private static void newline(StringBuilder b, String indent, int level) {
        if (indent == null) return;
        b.append('\n');
        for (int i = 0; i < level; i++) b.append(indent);
    }

    static void string(String s, StringBuilder b, boolean ensureAscii) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20 || (ensureAscii && c > 0x7e)) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
