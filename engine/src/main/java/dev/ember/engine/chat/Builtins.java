package dev.ember.engine.chat;

import dev.ember.engine.chat.Interpreter.Frame;
import dev.ember.engine.chat.Py.Callable;
import dev.ember.engine.chat.Py.Namespace;
import dev.ember.engine.chat.Py.Tuple;
import dev.ember.engine.chat.Py.Undefined;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * jinja2's filters, tests and globals that chat templates use, plus the ones transformers adds
 * ({@code raise_exception}, {@code strftime_now}, and {@code tojson} as {@code json.dumps}).
 * A filter or test that is not here fails the render with its name.
 */
final class Builtins {
    private Builtins() {}

    /** The globals every render sees; {@code now} is the clock {@code strftime_now} reads. */
    static Map<String, Object> globals(Supplier<ZonedDateTime> now) {
        Map<String, Object> g = new HashMap<>();
        g.put("range", (Callable) Builtins::range);
        g.put("namespace", (Callable) (in, args, kw) -> {
            Namespace ns = new Namespace();
            for (Object a : args) {
                if (!(a instanceof Map<?, ?> m)) throw Py.fail("namespace() takes a dict or keyword arguments");
                m.forEach((k, v) -> ns.attrs.put(Py.str(k), v));
            }
            ns.attrs.putAll(kw);
            return ns;
        });
        g.put("dict", (Callable) (in, args, kw) -> {
            Map<Object, Object> m = new LinkedHashMap<>();
            for (Object a : args) {
                if (!(a instanceof Map<?, ?> x)) throw Py.fail("dict() takes a dict or keyword arguments");
                m.putAll(x);
            }
            m.putAll(kw);
            return m;
        });
        g.put("raise_exception", (Callable) (in, args, kw) -> {
            throw new ChatTemplateException("the chat template refused the messages: " + (args.isEmpty() ? "" : Py.str(args.getFirst())));
        });
        g.put("strftime_now", (Callable) (in, args, kw) -> strftime(Py.str(args.isEmpty() ? "" : args.getFirst()), now.get()));
        return g;
    }

    private static Object range(Interpreter in, List<Object> args, Map<String, Object> kw) {
        if (args.isEmpty() || args.size() > 3) throw Py.fail("range expected 1 to 3 arguments, got " + args.size());
        long start = 0, stop, step = 1;
        if (args.size() == 1) {
            stop = Py.toLong(args.get(0));
        } else {
            start = Py.toLong(args.get(0));
            stop = Py.toLong(args.get(1));
            if (args.size() == 3) step = Py.toLong(args.get(2));
        }
        if (step == 0) throw Py.fail("range() arg 3 must not be zero");
        double count = Math.max(0, Math.ceil(((double) stop - start) / step));
        in.checkListSize((long) Math.min(count, Long.MAX_VALUE / 2));
        List<Object> out = new ArrayList<>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step) out.add(i);
        return out;
    }

    /** Python's strftime for the directives templates use (dates in system prompts). */
    static String strftime(String fmt, ZonedDateTime t) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%' || i + 1 >= fmt.length()) {
                b.append(c);
                continue;
            }
            char d = fmt.charAt(++i);
            switch (d) {
                case 'd' -> b.append(String.format("%02d", t.getDayOfMonth()));
                case 'm' -> b.append(String.format("%02d", t.getMonthValue()));
                case 'Y' -> b.append(t.getYear());
                case 'y' -> b.append(String.format("%02d", t.getYear() % 100));
                case 'H' -> b.append(String.format("%02d", t.getHour()));
                case 'I' -> b.append(String.format("%02d", (t.getHour() + 11) % 12 + 1));
                case 'M' -> b.append(String.format("%02d", t.getMinute()));
                case 'S' -> b.append(String.format("%02d", t.getSecond()));
                case 'p' -> b.append(t.getHour() < 12 ? "AM" : "PM");
                case 'b', 'h' -> b.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'B' -> b.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.US));
                case 'a' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.US));
                case 'A' -> b.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.US));
                case 'j' -> b.append(String.format("%03d", t.getDayOfYear()));
                case 'e' -> b.append(String.format("%2d", t.getDayOfMonth()));
                case '%' -> b.append('%');
                default -> b.append('%').append(d);
            }
        }
        return b.toString();
    }

    private static Object arg(List<Object> args, Map<String, Object> kw, int i, String name, Object dflt) {
        if (i < args.size()) return args.get(i);
        return kw.getOrDefault(name, dflt);
    }

    /** {@code value|name(args)}. */
    static Object filter(Interpreter in, String name, Object v, List<Object> args, Map<String, Object> kw, Frame f) {
        in.charge(1);
        switch (name) {
            case "default", "d" -> {
                Object dflt = arg(args, kw, 0, "default_value", "");
                boolean bool = Py.truthy(arg(args, kw, 1, "boolean", false));
                return v instanceof Undefined || (bool && !Py.truthy(v)) ? dflt : v;
            }
            case "safe" -> { return v; }
            case "pprint" -> { return Py.repr(v); }
            default -> { }
        }
        if (v instanceof Undefined u && !name.equals("length") && !name.equals("count") && !name.equals("list")
                && !name.equals("items") && !name.equals("string") && !name.equals("tojson")) {
            throw Py.fail(u.name());
        }
        return switch (name) {
            case "length", "count" -> (long) Py.len(v);
            case "string" -> Py.str(v);
            case "list" -> {
                List<Object> l = Py.iterate(v);
                in.checkListSize(l.size());
                yield l;
            }
            case "first" -> {
                List<Object> l = Py.iterate(v);
                yield l.isEmpty() ? new Undefined("the sequence is empty") : l.getFirst();
            }
            case "last" -> {
                List<Object> l = Py.iterate(v);
                yield l.isEmpty() ? new Undefined("the sequence is empty") : l.getLast();
            }
            case "items" -> {
                if (v instanceof Undefined) yield new ArrayList<>();
                if (!(v instanceof Map<?, ?> m)) throw Py.fail("can only get item pairs from a mapping, not " + Py.typeName(v));
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(Tuple.of(k, x)));
                yield out;
            }
            case "upper", "lower", "title", "capitalize" -> Methods.bind(Py.str(v), name).call(in, List.of(), Map.of());
            case "trim" -> {
                Object chars = arg(args, kw, 0, "chars", null);
                yield Methods.strip(Py.str(v), chars == null ? null : Py.str(chars), true, true);
            }
            case "replace" -> {
                List<Object> a = new ArrayList<>(List.of(Py.str(arg(args, kw, 0, "old", "")), Py.str(arg(args, kw, 1, "new", ""))));
                Object count = arg(args, kw, 2, "count", null);
                if (count != null) a.add(count);
                yield Methods.bind(Py.str(v), "replace").call(in, a, Map.of());
            }
            case "join" -> {
                String sep = Py.str(arg(args, kw, 0, "d", ""));
                Object attribute = arg(args, kw, 1, "attribute", null);
                StringBuilder b = new StringBuilder();
                List<Object> items = Py.iterate(v);
                for (int i = 0; i < items.size(); i++) {
                    if (i > 0) b.append(sep);
                    b.append(Py.str(attribute == null ? items.get(i) : attribute(items.get(i), attribute)));
                    in.checkSize(b.length());
                }
                yield b.toString();
            }
            case "tojson" -> {
                Object indent = arg(args, kw, 0, "indent", null);
                String ind = indent == null ? null : Py.isInt(indent) ? " ".repeat((int) Math.min(Math.max(Py.toLong(indent), 0), 64)) : Py.str(indent);
                Object seps = kw.get("separators");
                String itemSep = null, keySep = null;
                if (seps instanceof List<?> l && l.size() == 2) {
                    itemSep = Py.str(l.get(0));
                    keySep = Py.str(l.get(1));
                }
                yield ToJson.dumps(in, v, ind, itemSep, keySep, Py.truthy(kw.get("sort_keys")), Py.truthy(kw.get("ensure_ascii")));
            }
            case "int" -> toInt(v, arg(args, kw, 0, "default", 0L));
            case "float" -> toFloat(v, arg(args, kw, 0, "default", 0.0));
            case "abs" -> v instanceof Double d ? (Object) Math.abs(d) : (Object) Math.absExact(Py.toLong(v));
            case "round" -> round(v, Py.toLong(arg(args, kw, 0, "precision", 0L)), Py.str(arg(args, kw, 1, "method", "common")));
            case "reverse" -> {
                if (v instanceof String s) yield new StringBuilder(s).reverse().toString();
                List<Object> l = Py.iterate(v);
                java.util.Collections.reverse(l);
                yield l;
            }
            case "unique" -> {
                boolean cs = Py.truthy(arg(args, kw, 0, "case_sensitive", false));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> out = new ArrayList<>();
                List<Object> seen = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    in.charge(1 + seen.size() / 16);
                    Object k = sortKey(attribute == null ? x : attribute(x, attribute), cs);
                    if (seen.stream().noneMatch(s -> Py.eq(s, k))) {
                        seen.add(k);
                        out.add(x);
                    }
                }
                yield out;
            }
            case "sort" -> {
                boolean reverse = Py.truthy(arg(args, kw, 0, "reverse", false));
                boolean cs = Py.truthy(arg(args, kw, 1, "case_sensitive", false));
                Object attribute = arg(args, kw, 2, "attribute", null);
                List<Object> l = Py.iterate(v);
                in.checkListSize(l.size() * 8L);
                Comparator<Object> cmp = Comparator.comparing(x -> sortKey(attribute == null ? x : attribute(x, attribute), cs), Py::compare);
                l.sort(reverse ? cmp.reversed() : cmp);
                yield l;
            }
            case "dictsort" -> {
                if (!(v instanceof Map<?, ?> m)) throw Py.fail("dictsort needs a mapping");
                boolean cs = Py.truthy(arg(args, kw, 0, "case_sensitive", false));
                boolean byValue = "value".equals(arg(args, kw, 1, "by", "key"));
                boolean reverse = Py.truthy(arg(args, kw, 2, "reverse", false));
                List<Object> out = new ArrayList<>();
                m.forEach((k, x) -> out.add(Tuple.of(k, x)));
                Comparator<Object> cmp = Comparator.comparing(t -> sortKey(((Tuple) t).get(byValue ? 1 : 0), cs), Py::compare);
                out.sort(reverse ? cmp.reversed() : cmp);
                yield out;
            }
            case "min", "max" -> {
                boolean cs = Py.truthy(arg(args, kw, 0, "case_sensitive", false));
                Object attribute = arg(args, kw, 1, "attribute", null);
                List<Object> l = Py.iterate(v);
                if (l.isEmpty()) yield new Undefined("no " + name + " item, the sequence was empty");
                Object best = l.getFirst();
                for (Object x : l) {
                    int c = Py.compare(sortKey(attribute == null ? x : attribute(x, attribute), cs), sortKey(attribute == null ? best : attribute(best, attribute), cs));
                    if (name.equals("min") ? c < 0 : c > 0) best = x;
                }
                yield best;
            }
            case "sum" -> {
                Object attribute = arg(args, kw, 0, "attribute", null);
                Object total = arg(args, kw, 1, "start", 0L);
                for (Object x : Py.iterate(v)) total = Ops.binary(in, "+", total, attribute == null ? x : attribute(x, attribute));
                yield total;
            }
            case "map" -> {
                List<Object> out = new ArrayList<>();
                if (args.isEmpty() && kw.containsKey("attribute")) {
                    Object attribute = kw.get("attribute");
                    Object dflt = kw.get("default");
                    for (Object x : Py.iterate(v)) {
                        Object y = attribute(x, attribute);
                        out.add(y instanceof Undefined && kw.containsKey("default") ? dflt : y);
                    }
                } else {
                    if (args.isEmpty()) throw Py.fail("map needs a filter name or attribute=");
                    String filter = Py.str(args.getFirst());
                    List<Object> rest = args.subList(1, args.size());
                    for (Object x : Py.iterate(v)) out.add(filter(in, filter, x, rest, kw, f));
                }
                yield out;
            }
            case "select", "reject" -> {
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    boolean hit = args.isEmpty() ? Py.truthy(x) : test(in, Py.str(args.getFirst()), x, args.subList(1, args.size()), f);
                    if (hit == name.equals("select")) out.add(x);
                }
                yield out;
            }
            case "selectattr", "rejectattr" -> {
                if (args.isEmpty()) throw Py.fail(name + " needs an attribute name");
                List<Object> out = new ArrayList<>();
                for (Object x : Py.iterate(v)) {
                    Object a = attribute(x, args.getFirst());
                    boolean hit = args.size() < 2 ? Py.truthy(a) : test(in, Py.str(args.get(1)), a, args.subList(2, args.size()), f);
                    if (hit == name.equals("selectattr")) out.add(x);
                }
                yield out;
            }
            case "attr" -> Access.attr(v, Py.str(arg(args, kw, 0, "name", "")));
            case "indent" -> indent(in, Py.str(v), arg(args, kw, 0, "width", 4L), Py.truthy(arg(args, kw, 1, "first", false)),
                    Py.truthy(arg(args, kw, 2, "blank", false)));
            case "center" -> Methods.bind(Py.str(v), "center").call(in, List.of(arg(args, kw, 0, "width", 80L)), Map.of());
            case "wordcount" -> (long) Methods.split(Py.str(v), null, -1, false).size();
            case "e", "escape", "forceescape" -> Py.str(v).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    .replace("\"", "&#34;").replace("'", "&#39;");
            case "format" -> Ops.format(Py.str(v), kw.isEmpty() ? new Tuple(args) : new LinkedHashMap<Object, Object>(kw));
            default -> throw Py.fail("the chat template uses the filter '" + name + "', which Ember does not support");
        };
    }

    /** jinja2's attribute getter for map/selectattr/sort/…: "a.b.0" walks items. */
    private static Object attribute(Object x, Object path) {
        if (Py.isInt(path)) return Access.item(x, path);
        Object cur = x;
        for (String part : Py.str(path).split("\\.", -1)) {
            Object key = part.matches("[0-9]{1,9}") ? (Object) Long.parseLong(part) : part;
            cur = cur instanceof Undefined ? cur : Access.item(cur, key);
        }
        return cur;
    }

    private static Object sortKey(Object x, boolean caseSensitive) {
        return !caseSensitive && x instanceof String s ? s.toLowerCase(Locale.ROOT) : x;
    }

    private static Object toInt(Object v, Object dflt) {
        return switch (v) {
            case Long l -> l;
            case Boolean b -> b ? 1L : 0L;
            case Double d -> Double.isFinite(d) ? (Object) (long) (double) d : dflt;
            case String s -> {
                String t = Methods.strip(s, null, true, true).replace("_", "");
                try {
                    yield Long.parseLong(t.startsWith("+") ? t.substring(1) : t);
                } catch (NumberFormatException e) {
                    try {
                        double d = Double.parseDouble(t);
                        yield Double.isFinite(d) && !t.matches(".*[a-zA-Z&&[^eE]].*") ? (Object) (long) d : dflt;
                    } catch (NumberFormatException e2) {
                        yield dflt;
                    }
                }
            }
            case null, default -> dflt;
        };
    }

    private static Object toFloat(Object v, Object dflt) {
        return switch (v) {
            case Long l -> (double) l;
            case Boolean b -> b ? 1.0 : 0.0;
            case Double d -> d;
            case String s -> {
                String t = Methods.strip(s, null, true, true);
                if (!t.matches("[+-]?([0-9][0-9_]*\\.?[0-9_]*|\\.[0-9][0-9_]*)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity|nan)")) yield dflt;
                yield switch (t.replace("+", "").toLowerCase(Locale.ROOT)) {
                    case "inf", "infinity" -> Double.POSITIVE_INFINITY;
                    case "-inf", "-infinity" -> Double.NEGATIVE_INFINITY;
                    case "nan", "-nan" -> Double.NaN;
                    default -> Double.parseDouble(t.replace("_", ""));
                };
            }
            case null, default -> dflt;
        };
    }

    private static Object round(Object v, long precision, String method) {
        if (precision < -300 || precision > 300) throw Py.fail("round precision out of range");
        if (Py.isInt(v) && method.equals("common") && precision >= 0) return Py.toLong(v);
        double d = Py.toDouble(v);
        if (!Double.isFinite(d)) return d;
        RoundingMode mode = switch (method) {
            case "common" -> RoundingMode.HALF_EVEN;
            case "ceil" -> RoundingMode.CEILING;
            case "floor" -> RoundingMode.FLOOR;
            default -> throw Py.fail("method must be common, ceil or floor");
        };
        if (method.equals("common")) {
            // Python's round(): the nearest decimal to the double's exact value, ties to even
            return new BigDecimal(d).setScale((int) precision, mode).doubleValue();
        }
        return BigDecimal.valueOf(d).setScale((int) precision, mode).doubleValue();
    }

    private static String indent(Interpreter in, String s, Object width, boolean first, boolean blank) {
        String pad = width instanceof String w ? w : " ".repeat((int) Math.max(0, Math.min(Py.toLong(width), 1000)));
        s = s + "\n";
        List<Object> lines = (List<Object>) Methods.bind(s, "splitlines").call(in, List.of(), Map.of());
        StringBuilder b = new StringBuilder();
        if (blank) {
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) b.append('\n').append(pad);
                b.append(lines.get(i));
                in.checkSize(b.length());
            }
        } else {
            b.append(lines.isEmpty() ? "" : (String) lines.getFirst());
            for (int i = 1; i < lines.size(); i++) {
                String line = (String) lines.get(i);
                b.append('\n');
                if (!line.isEmpty()) b.append(pad);
                b.append(line);
                in.checkSize(b.length());
            }
        }
        return first ? pad + b : b.toString();
    }

    /** {@code value is name(args)}. */
    static boolean test(Interpreter in, String name, Object v, List<Object> args, Frame f) {
        in.charge(1);
        Object a = args.isEmpty() ? null : args.getFirst();
        return switch (name) {
            case "defined" -> !(v instanceof Undefined);
            case "undefined" -> v instanceof Undefined;
            case "none" -> v == null;
            case "true" -> Boolean.TRUE.equals(v);
            case "false" -> Boolean.FALSE.equals(v);
            case "boolean" -> v instanceof Boolean;
            case "string" -> v instanceof String;
            case "number" -> Py.isNumber(v);
            case "integer" -> v instanceof Long;
            case "float" -> v instanceof Double;
            case "mapping" -> v instanceof Map<?, ?>;
            case "sequence" -> v instanceof String || v instanceof List<?> || v instanceof Map<?, ?>;
            case "iterable" -> v instanceof String || v instanceof List<?> || v instanceof Map<?, ?>;
            case "callable" -> v instanceof Callable;
            case "odd" -> Math.floorMod(Py.toLong(v), 2) == 1;
            case "even" -> Math.floorMod(Py.toLong(v), 2) == 0;
            case "divisibleby" -> {
                long d = Py.toLong(a);
                if (d == 0) throw Py.fail("integer division or modulo by zero");
                yield Math.floorMod(Py.toLong(v), d) == 0;
            }
            case "eq", "equalto", "==" -> Py.eq(v, a);
            case "ne", "!=" -> !Py.eq(v, a);
            case "lt", "lessthan", "<" -> Py.compare(v, a) < 0;
            case "le", "<=" -> Py.compare(v, a) <= 0;
            case "gt", "greaterthan", ">" -> Py.compare(v, a) > 0;
            case "ge", ">=" -> Py.compare(v, a) >= 0;
            case "in" -> Py.contains(a, v);
            case "sameas" -> v == a || (v instanceof Boolean && v.equals(a));
            case "lower" -> v instanceof String s && s.equals(s.toLowerCase(Locale.ROOT));
            case "upper" -> v instanceof String s && s.equals(s.toUpperCase(Locale.ROOT));
            case "escaped" -> false;
            default -> throw Py.fail("the chat template uses the test '" + name + "', which Ember does not support");
        };
    }
}
