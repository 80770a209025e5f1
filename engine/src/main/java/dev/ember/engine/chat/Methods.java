package dev.ember.engine.chat;

import dev.ember.engine.chat.Py.Callable;
import dev.ember.engine.chat.Py.Tuple;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The Python methods templates call on values ({@code content.startswith('<think>')},
 * {@code message.get('tool_calls')}, {@code text.split('</think>')[-1].lstrip('\n')}): str's
 * methods, and dict's and list's non-mutating ones, as jinja2's immutable sandbox allows them.
 * Mutating methods (append, update, pop, …) fail as they do there.
 */
final class Methods {
    private Methods() {}

    private static final Set<String> STR = Set.of("startswith", "endswith", "strip", "lstrip", "rstrip", "split", "rsplit",
            "splitlines", "lower", "upper", "title", "capitalize", "swapcase", "casefold", "replace", "find", "rfind", "index",
            "rindex", "count", "join", "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isspace", "islower",
            "isupper", "istitle", "format", "zfill", "center", "ljust", "rjust", "partition", "rpartition", "removeprefix",
            "removesuffix");
    private static final Set<String> DICT = Set.of("items", "keys", "values", "get", "copy");
    private static final Set<String> LIST = Set.of("index", "count", "copy");
    private static final Set<String> UNSAFE = Set.of("append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
            "update", "popitem", "setdefault");

    /** The bound method {@code obj.name}, or null if the value's type has none of that name. */
    static Callable bind(Object obj, String name) {
        boolean known = switch (obj) {
            case String s -> STR.contains(name);
            case Map<?, ?> m -> DICT.contains(name) || UNSAFE.contains(name);
            case List<?> l -> LIST.contains(name) || UNSAFE.contains(name);
            case null, default -> false;
        };
        if (!known) return null;
        return (in, args, kwargs) -> call(in, obj, name, args, kwargs);
    }

    private static Object arg(List<Object> args, Map<String, Object> kwargs, int i, String name, Object dflt) {
        if (i < args.size()) return args.get(i);
        return kwargs.getOrDefault(name, dflt);
    }

    private static String strArg(List<Object> args, Map<String, Object> kwargs, int i, String name) {
        Object v = arg(args, kwargs, i, name, null);
        if (!(v instanceof String s)) throw Py.fail("argument " + (i + 1) + " must be str, not " + Py.typeName(v));
        return s;
    }

    private static Object call(Interpreter in, Object self, String name, List<Object> args, Map<String, Object> kwargs) {
        in.charge(1);
        if (UNSAFE.contains(name)) throw Py.fail("access to attribute '" + name + "' of '" + Py.typeName(self) + "' object is unsafe");
        return switch (self) {
            case String s -> {
                in.checkSize(s.length());
                yield str(in, s, name, args, kwargs);
            }
            case Map<?, ?> m -> dict(m, name, args, kwargs);
            case List<?> l -> switch (name) {
                case "index" -> {
                    Object x = arg(args, kwargs, 0, "value", null);
                    for (int i = 0; i < l.size(); i++) if (Py.eq(l.get(i), x)) yield (long) i;
                    throw Py.fail(Py.repr(x) + " is not in list");
                }
                case "count" -> {
                    Object x = arg(args, kwargs, 0, "value", null);
                    long n = 0;
                    for (Object o : l) if (Py.eq(o, x)) n++;
                    yield n;
                }
                default -> l instanceof Tuple t ? t : new ArrayList<>(l);
            };
            default -> throw Py.fail("no method " + name);
        };
    }

    private static Object dict(Map<?, ?> m, String name, List<Object> args, Map<String, Object> kwargs) {
        return switch (name) {
            case "items" -> {
                List<Object> out = new ArrayList<>();
                for (Map.Entry<?, ?> e : m.entrySet()) out.add(Tuple.of(e.getKey(), e.getValue()));
                yield out;
            }
            case "keys" -> new ArrayList<Object>(m.keySet());
            case "values" -> new ArrayList<Object>(m.values());
            case "get" -> {
                Object k = arg(args, kwargs, 0, "key", null);
                yield m.containsKey(k) ? m.get(k) : arg(args, kwargs, 1, "default", null);
            }
            default -> new LinkedHashMap<Object, Object>(m);
        };
    }

    private static Object str(Interpreter in, String s, String name, List<Object> args, Map<String, Object> kwargs) {
        return switch (name) {
            case "startswith", "endswith" -> {
                Object p = arg(args, kwargs, 0, "prefix", null);
                String t = s;
                if (args.size() > 1) t = (String) Access.slice(s, args.get(1), args.size() > 2 ? args.get(2) : null, null);
                List<?> options = p instanceof Tuple tu ? tu : List.of(p == null ? "" : p);
                boolean hit = false;
                for (Object o : options) {
                    if (!(o instanceof String x)) throw Py.fail(name + " first arg must be str or a tuple of str, not " + Py.typeName(o));
                    hit |= name.equals("startswith") ? t.startsWith(x) : t.endsWith(x);
                }
                yield hit;
            }
            case "strip", "lstrip", "rstrip" -> {
                Object chars = arg(args, kwargs, 0, "chars", null);
                if (chars != null && !(chars instanceof String)) throw Py.fail(name + " arg must be None or str");
                yield strip(s, (String) chars, !name.equals("rstrip"), !name.equals("lstrip"));
            }
            case "split", "rsplit" -> {
                Object sep = arg(args, kwargs, 0, "sep", null);
                long max = Py.toLong(arg(args, kwargs, 1, "maxsplit", -1L));
                if (sep != null && !(sep instanceof String)) throw Py.fail("must be str or None, not " + Py.typeName(sep));
                List<Object> parts = split(s, (String) sep, max, name.equals("rsplit"));
                in.checkListSize(parts.size());
                yield parts;
            }
            case "splitlines" -> {
                boolean keep = Py.truthy(arg(args, kwargs, 0, "keepends", false));
                List<Object> out = new ArrayList<>();
                int start = 0;
                for (int i = 0; i < s.length(); i++) {
                    char c = s.charAt(i);
                    boolean br = c == '\n' || c == '\r' || c == '\u000b' || c == '\u000c' || (c >= 0x1c && c <= 0x1e) || c == 0x85 || c == 0x2028 || c == 0x2029;
                    if (!br) continue;
                    int end = i;
                    if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') i++;
                    out.add(s.substring(start, keep ? i + 1 : end));
                    start = i + 1;
                }
                if (start < s.length()) out.add(s.substring(start));
                yield out;
            }
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "casefold" -> s.toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s : s.substring(0, s.offsetByCodePoints(0, 1)).toUpperCase(Locale.ROOT)
                    + s.substring(s.offsetByCodePoints(0, 1)).toLowerCase(Locale.ROOT);
            case "swapcase" -> {
                StringBuilder b = new StringBuilder();
                s.codePoints().forEach(c -> b.appendCodePoint(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c)));
                yield b.toString();
            }
            case "replace" -> {
                String old = strArg(args, kwargs, 0, "old"), rep = strArg(args, kwargs, 1, "new");
                long count = Py.toLong(arg(args, kwargs, 2, "count", -1L));
                yield replace(in, s, old, rep, count);
            }
            case "find", "rfind", "index", "rindex" -> {
                String sub = strArg(args, kwargs, 0, "sub");
                int i = name.startsWith("r") ? s.lastIndexOf(sub) : s.indexOf(sub);
                if (i < 0 && name.contains("index")) throw Py.fail("substring not found");
                yield i < 0 ? -1L : (long) s.codePointCount(0, i);
            }
            case "count" -> {
                String sub = strArg(args, kwargs, 0, "sub");
                if (sub.isEmpty()) yield (long) s.codePointCount(0, s.length()) + 1;
                long n = 0;
                for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length())) n++;
                yield n;
            }
            case "join" -> {
                List<Object> items = Py.iterate(arg(args, kwargs, 0, "iterable", null));
                StringBuilder b = new StringBuilder();
                for (int i = 0; i < items.size(); i++) {
                    if (!(items.get(i) instanceof String x)) throw Py.fail("sequence item " + i + ": expected str instance, " + Py.typeName(items.get(i)) + " found");
                    if (i > 0) b.append(s);
                    in.checkSize((long) b.length() + x.length());
                    b.append(x);
                }
                yield b.toString();
            }
            case "isdigit", "isdecimal", "isnumeric" -> !s.isEmpty() && s.codePoints().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(Py::isSpace);
            case "islower" -> s.codePoints().anyMatch(Character::isLowerCase) && s.codePoints().noneMatch(c -> Character.isUpperCase(c) || Character.isTitleCase(c));
            case "isupper" -> s.codePoints().anyMatch(Character::isUpperCase) && s.codePoints().noneMatch(c -> Character.isLowerCase(c) || Character.isTitleCase(c));
            case "istitle" -> !s.isEmpty() && title(s).equals(s) && s.codePoints().anyMatch(Character::isLetter);
            case "format" -> format(in, s, args, kwargs);
            case "zfill", "center", "ljust", "rjust" -> {
                long width = Py.toLong(arg(args, kwargs, 0, "width", 0L));
                int n = s.codePointCount(0, s.length());
                if (width <= n) yield s;
                in.checkSize(width);
                String fill = name.equals("zfill") ? "0" : arg(args, kwargs, 1, "fillchar", " ") instanceof String f && f.codePointCount(0, f.length()) == 1 ? f : null;
                if (fill == null) throw Py.fail("the fill character must be exactly one character long");
                int pad = (int) width - n;
                yield switch (name) {
                    case "ljust" -> s + fill.repeat(pad);
                    case "rjust" -> fill.repeat(pad) + s;
                    case "center" -> {
                        int left = pad / 2 + (pad & (int) width & 1);
                        yield fill.repeat(left) + s + fill.repeat(pad - left);
                    }
                    default -> (s.startsWith("-") || s.startsWith("+")) ? s.charAt(0) + "0".repeat(pad) + s.substring(1) : "0".repeat(pad) + s;
                };
            }
            case "partition", "rpartition" -> {
                String sep = strArg(args, kwargs, 0, "sep");
                if (sep.isEmpty()) throw Py.fail("empty separator");
                int i = name.equals("partition") ? s.indexOf(sep) : s.lastIndexOf(sep);
                if (i < 0) yield name.equals("partition") ? Tuple.of(s, "", "") : Tuple.of("", "", s);
                yield Tuple.of(s.substring(0, i), sep, s.substring(i + sep.length()));
            }
            case "removeprefix" -> {
                String p = strArg(args, kwargs, 0, "prefix");
                yield s.startsWith(p) ? s.substring(p.length()) : s;
            }
            case "removesuffix" -> {
                String p = strArg(args, kwargs, 0, "suffix");
                yield !p.isEmpty() && s.endsWith(p) ? s.substring(0, s.length() - p.length()) : s;
            }
            default -> throw Py.fail("no method " + name);
        };
    }

    static String strip(String s, String chars, boolean left, boolean right) {
        int[] cps = s.codePoints().toArray();
        int a = 0, b = cps.length;
        if (left) while (a < b && stripped(cps[a], chars)) a++;
        if (right) while (b > a && stripped(cps[b - 1], chars)) b--;
        return new String(cps, a, b - a);
    }

    private static boolean stripped(int c, String chars) {
        return chars == null ? Py.isSpace(c) : chars.codePoints().anyMatch(x -> x == c);
    }

    static List<Object> split(String s, String sep, long max, boolean fromRight) {
        List<Object> out = new ArrayList<>();
        if (max < 0) max = Long.MAX_VALUE;
        if (sep == null) {
            // runs of whitespace, none at either end
            List<int[]> words = new ArrayList<>();
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && Py.isSpace(s.charAt(i))) i++;
                if (i >= s.length()) break;
                int st = i;
                while (i < s.length() && !Py.isSpace(s.charAt(i))) i++;
                words.add(new int[]{st, i});
            }
            if (words.size() - 1 <= max) {
                for (int[] w : words) out.add(s.substring(w[0], w[1]));
                return out;
            }
            if (!fromRight) {
                for (int k = 0; k < max; k++) out.add(s.substring(words.get(k)[0], words.get(k)[1]));
                out.add(strip(s.substring(words.get((int) max)[0]), null, false, true));
            } else {
                int first = words.size() - (int) max;
                out.add(strip(s.substring(0, words.get(first - 1)[1]), null, true, false));
                for (int k = first; k < words.size(); k++) out.add(s.substring(words.get(k)[0], words.get(k)[1]));
            }
            return out;
        }
        if (sep.isEmpty()) throw Py.fail("empty separator");
        if (!fromRight) {
            int start = 0;
            for (int i = s.indexOf(sep); i >= 0 && out.size() < max; i = s.indexOf(sep, start)) {
                out.add(s.substring(start, i));
                start = i + sep.length();
            }
            out.add(s.substring(start));
        } else {
            int end = s.length();
            for (long k = 0; k < max; k++) {
                int i = s.lastIndexOf(sep, end - sep.length());
                if (i < 0) break;
                out.addFirst(s.substring(i + sep.length(), end));
                end = i;
            }
            out.addFirst(s.substring(0, end));
        }
        return out;
    }

    private static String replace(Interpreter in, String s, String old, String rep, long count) {
        if (count < 0) count = Long.MAX_VALUE;
        StringBuilder b = new StringBuilder();
        if (old.isEmpty()) {
            int[] cps = s.codePoints().toArray();
            long done = 0;
            for (int i = 0; i <= cps.length; i++) {
                if (done < count) { b.append(rep); done++; }
                if (i < cps.length) b.appendCodePoint(cps[i]);
                in.checkSize(b.length());
            }
            return b.toString();
        }
        int start = 0;
        long done = 0;
        for (int i = s.indexOf(old); i >= 0 && done < count; i = s.indexOf(old, start)) {
            b.append(s, start, i).append(rep);
            in.checkSize(b.length());
            start = i + old.length();
            done++;
        }
        b.append(s, start, s.length());
        in.checkSize(b.length());
        return b.toString();
    }

    /** Python's str.title(): a letter after a cased letter is lowered, any other letter raised. */
    static String title(String s) {
        StringBuilder b = new StringBuilder();
        boolean prevCased = false;
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            b.appendCodePoint(prevCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            prevCased = Character.isUpperCase(c) || Character.isLowerCase(c) || Character.isTitleCase(c);
        }
        return b.toString();
    }

    /** str.format with {}, {0}, {name}, {name[key]}, {{ and }}; format specs are not supported. */
    private static String format(Interpreter in, String s, List<Object> args, Map<String, Object> kwargs) {
        StringBuilder b = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '{' && i + 1 < s.length() && s.charAt(i + 1) == '{') { b.append('{'); i++; continue; }
            if (c == '}' && i + 1 < s.length() && s.charAt(i + 1) == '}') { b.append('}'); i++; continue; }
            if (c == '}') throw Py.fail("single '}' encountered in format string");
            if (c != '{') { b.append(c); continue; }
            int close = s.indexOf('}', i);
            if (close < 0) throw Py.fail("single '{' encountered in format string");
            String field = s.substring(i + 1, close);
            if (field.contains(":") || field.contains("!")) throw Py.fail("format specs in str.format are not supported");
            Object v;
            if (field.isEmpty()) {
                if (auto >= args.size()) throw Py.fail("replacement index " + auto + " out of range");
                v = args.get(auto++);
            } else if (field.chars().allMatch(Character::isDigit) && field.length() < 6) {
                int k = Integer.parseInt(field);
                if (k >= args.size()) throw Py.fail("replacement index " + k + " out of range");
                v = args.get(k);
            } else {
                if (!kwargs.containsKey(field)) throw Py.fail("KeyError: '" + field + "'");
                v = kwargs.get(field);
            }
            b.append(Py.str(v));
            in.checkSize(b.length());
            i = close;
        }
        return b.toString();
    }

    /** %f, %e and %g as Python prints them (round half to even on the exact binary value). */
    static String formatFloat(double d, char conv, int prec) {
        if (prec > 100) throw Py.fail("precision too large");
        if (Double.isNaN(d)) return Character.isUpperCase(conv) ? "NAN" : "nan";
        if (Double.isInfinite(d)) return (d < 0 ? "-" : "") + (Character.isUpperCase(conv) ? "INF" : "inf");
        BigDecimal v = new BigDecimal(d);
        String out = switch (Character.toLowerCase(conv)) {
            case 'f' -> v.setScale(prec, RoundingMode.HALF_EVEN).toPlainString();
            case 'e' -> sci(v, prec);
            default -> {
                int p = Math.max(prec, 1);
                if (d == 0) yield "0";
                BigDecimal r = v.round(new MathContext(p, RoundingMode.HALF_EVEN));
                int exp = r.precision() - r.scale() - 1;
                String txt = (exp < -4 || exp >= p) ? sci(v, p - 1) : r.setScale(Math.max(0, p - 1 - exp), RoundingMode.HALF_EVEN).toPlainString();
                // %g drops trailing zeros
                if (txt.contains("e")) {
                    String[] parts = txt.split("e");
                    String m = parts[0].contains(".") ? parts[0].replaceAll("0+$", "").replaceAll("\\.$", "") : parts[0];
                    yield m + "e" + parts[1];
                }
                yield txt.contains(".") ? txt.replaceAll("0+$", "").replaceAll("\\.$", "") : txt;
            }
        };
        if (d < 0 && !out.startsWith("-")) out = "-" + out;  // -0.0
        return Character.isUpperCase(conv) ? out.toUpperCase(Locale.ROOT) : out;
    }

    private static String sci(BigDecimal v, int prec) {
        if (v.signum() == 0) return "0" + (prec > 0 ? "." + "0".repeat(prec) : "") + "e+00";
        BigDecimal r = v.round(new MathContext(prec + 1, RoundingMode.HALF_EVEN));
        int exp = r.precision() - r.scale() - 1;
        String digits = r.unscaledValue().abs().toString();
        while (digits.length() < prec + 1) digits += "0";
        digits = digits.substring(0, prec + 1);
        String m = digits.charAt(0) + (prec > 0 ? "." + digits.substring(1) : "");
        return (r.signum() < 0 ? "-" : "") + m + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
    }
}
