package dev.ember.engine.chat;

import dev.ember.engine.chat.Py.Tuple;
import dev.ember.engine.chat.Py.Undefined;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Python's operators on template values: arithmetic, concatenation, repetition, comparison, %-formatting. */
final class Ops {
    private Ops() {}

    static Object negate(Object v) {
        if (v instanceof Double d) return -d;
        if (Py.isInt(v)) return Math.negateExact(Py.toLong(v));
        throw unsupported("unary -", v, null);
    }

    static Object plus(Object v) {
        if (v instanceof Double) return v;
        if (Py.isInt(v)) return Py.toLong(v);
        throw unsupported("unary +", v, null);
    }

    private static ChatTemplateException unsupported(String op, Object a, Object b) {
        if (a instanceof Undefined u) return Py.fail(u.name());
        if (b instanceof Undefined u) return Py.fail(u.name());
        if (b == null && op.startsWith("unary")) return Py.fail("bad operand type for " + op + ": '" + Py.typeName(a) + "'");
        return Py.fail("unsupported operand type(s) for " + op + ": '" + Py.typeName(a) + "' and '" + Py.typeName(b) + "'");
    }

    static Object binary(Interpreter in, String op, Object a, Object b) {
        try {
            return switch (op) {
                case "+" -> add(in, a, b);
                case "-" -> arith(op, a, b);
                case "*" -> multiply(in, a, b);
                case "/" -> {
                    if (!Py.isNumber(a) || !Py.isNumber(b)) throw unsupported(op, a, b);
                    double d = Py.toDouble(b);
                    if (d == 0) throw Py.fail("division by zero");
                    yield Py.toDouble(a) / d;
                }
                case "//" -> arith(op, a, b);
                case "%" -> {
                    if (a instanceof String s) {
                        String r = format(s, b);
                        in.checkSize(r.length());
                        yield r;
                    }
                    yield arith(op, a, b);
                }
                case "**" -> arith(op, a, b);
                case "~" -> {
                    String l = Py.str(a), r = Py.str(b);
                    in.checkSize((long) l.length() + r.length());
                    yield l + r;
                }
                default -> throw Py.fail("unknown operator " + op);
            };
        } catch (ArithmeticException e) {
            throw Py.fail("integer overflow in '" + op + "'");
        }
    }

    private static Object add(Interpreter in, Object a, Object b) {
        if (a instanceof String x && b instanceof String y) {
            in.checkSize((long) x.length() + y.length());
            return x + y;
        }
        if (a instanceof List<?> x && b instanceof List<?> y && (a instanceof Tuple) == (b instanceof Tuple)) {
            in.checkListSize((long) x.size() + y.size());
            List<Object> out = new ArrayList<>(x);
            out.addAll(y);
            return a instanceof Tuple ? new Tuple(out) : out;
        }
        return arith("+", a, b);
    }

    private static Object multiply(Interpreter in, Object a, Object b) {
        if (Py.isInt(a) && (b instanceof String || b instanceof List<?>)) return multiply(in, b, a);
        if (a instanceof String s && Py.isInt(b)) {
            long n = Math.max(0, Py.toLong(b));
            in.checkSize(s.length() * Math.min(n, Integer.MAX_VALUE));
            return s.repeat((int) n);
        }
        if (a instanceof List<?> l && Py.isInt(b)) {
            long n = Math.max(0, Py.toLong(b));
            in.checkListSize(l.size() * Math.min(n, Integer.MAX_VALUE));
            List<Object> out = new ArrayList<>();
            for (long i = 0; i < n; i++) out.addAll(l);
            return a instanceof Tuple ? new Tuple(out) : out;
        }
        return arith("*", a, b);
    }

    private static Object arith(String op, Object a, Object b) {
        if (!Py.isNumber(a) || !Py.isNumber(b)) throw unsupported(op, a, b);
        if (Py.isInt(a) && Py.isInt(b)) {
            long x = Py.toLong(a), y = Py.toLong(b);
            return switch (op) {
                case "+" -> Math.addExact(x, y);
                case "-" -> Math.subtractExact(x, y);
                case "*" -> Math.multiplyExact(x, y);
                case "//" -> {
                    if (y == 0) throw Py.fail("integer division or modulo by zero");
                    yield Math.floorDiv(x, y);
                }
                case "%" -> {
                    if (y == 0) throw Py.fail("integer division or modulo by zero");
                    yield Math.floorMod(x, y);
                }
                case "**" -> {
                    if (y < 0) yield Math.pow(x, y);
                    long r = 1;
                    for (long i = 0; i < y; i++) {
                        r = Math.multiplyExact(r, x);
                        if (r == 0 || r == 1 && x == 1) break;
                        if (x == -1) { r = (y % 2 == 0) ? 1 : -1; break; }
                    }
                    yield r;
                }
                default -> throw Py.fail("unknown operator " + op);
            };
        }
        double x = Py.toDouble(a), y = Py.toDouble(b);
        return switch (op) {
            case "+" -> x + y;
            case "-" -> x - y;
            case "*" -> x * y;
            case "//" -> {
                if (y == 0) throw Py.fail("float floor division by zero");
                yield Math.floor(x / y);
            }
            case "%" -> {
                if (y == 0) throw Py.fail("float modulo");
                double m = x % y;
                yield (m != 0 && (m < 0) != (y < 0)) ? m + y : m;
            }
            case "**" -> Math.pow(x, y);
            default -> throw Py.fail("unknown operator " + op);
        };
    }

    static boolean compare(String op, Object a, Object b) {
        return switch (op) {
            case "==" -> Py.eq(a, b);
            case "!=" -> !Py.eq(a, b);
            case "<" -> Py.compare(a, b) < 0;
            case ">" -> Py.compare(a, b) > 0;
            case "<=" -> Py.compare(a, b) <= 0;
            case ">=" -> Py.compare(a, b) >= 0;
            case "in" -> Py.contains(b, a);
            case "not in" -> !Py.contains(b, a);
            default -> throw Py.fail("unknown comparison " + op);
        };
    }

    /** Python's printf-style {@code format % values}: %s %r %d %i %f %x %o %e %g %c %%, flags, width and precision. */
    static String format(String fmt, Object values) {
        List<Object> args = values instanceof Tuple t ? t : java.util.Collections.singletonList(values);
        Map<?, ?> named = values instanceof Map<?, ?> m ? m : null;
        StringBuilder b = new StringBuilder();
        int next = 0;
        for (int i = 0; i < fmt.length(); i++) {
            char c = fmt.charAt(i);
            if (c != '%') {
                b.append(c);
                continue;
            }
            if (++i >= fmt.length()) throw Py.fail("incomplete format");
            Object arg = null;
            boolean haveArg = false;
            if (fmt.charAt(i) == '(') {
                int close = fmt.indexOf(')', i);
                if (close < 0 || named == null) throw Py.fail("format requires a mapping");
                arg = named.get(fmt.substring(i + 1, close));
                haveArg = true;
                i = close + 1;
            }
            int specStart = i;
            while (i < fmt.length() && "-+ #0123456789.".indexOf(fmt.charAt(i)) >= 0) i++;
            if (i >= fmt.length()) throw Py.fail("incomplete format");
            String flags = fmt.substring(specStart, i);
            char conv = fmt.charAt(i);
            if (flags.length() > 12 || !flags.matches("[-+ #0]*[0-9]*(\\.[0-9]*)?")) throw Py.fail("unsupported format '%" + flags + conv + "'");
            if (conv == '%') {
                b.append('%');
                continue;
            }
            if (!haveArg) {
                if (named != null && !(values instanceof Tuple)) {
                    arg = values;
                } else {
                    if (next >= args.size()) throw Py.fail("not enough arguments for format string");
                    arg = args.get(next++);
                }
            }
            String body = switch (conv) {
                case 's' -> Py.str(arg);
                case 'r', 'a' -> Py.repr(arg);
                case 'd', 'i', 'u' -> Long.toString(Py.isInt(arg) ? Py.toLong(arg) : (long) Py.toDouble(arg));
                case 'x' -> Long.toHexString(Py.toLong(arg));
                case 'X' -> Long.toHexString(Py.toLong(arg)).toUpperCase();
                case 'o' -> Long.toOctalString(Py.toLong(arg));
                case 'c' -> {
                    if (!Py.isInt(arg)) yield Py.str(arg);
                    long code = Py.toLong(arg);
                    if (code < 0 || code > Character.MAX_CODE_POINT) throw Py.fail("%c arg not in range(0x110000)"); // Python's OverflowError
                    yield Character.toString((int) code);
                }
                case 'f', 'F', 'e', 'E', 'g', 'G' -> {
                    int dot = flags.indexOf('.');
                    int prec = dot >= 0 ? formatField("0" + flags.substring(dot + 1), "precision") : 6;
                    yield Methods.formatFloat(Py.toDouble(arg), conv, prec);
                }
                default -> throw Py.fail("unsupported format character '" + conv + "'");
            };
            int dot = flags.indexOf('.');
            if (dot >= 0 && (conv == 's' || conv == 'r')) {
                int prec = formatField("0" + flags.substring(dot + 1), "precision");
                if (body.length() > prec) body = body.substring(0, prec);
            }
            String widthFlags = dot >= 0 ? flags.substring(0, dot) : flags;
            String digits = widthFlags.replaceAll("^[-+ #0]*", "");
            int width = digits.isEmpty() ? 0 : formatField(digits, "width");
            if (widthFlags.contains("+") && "dif".indexOf(conv) >= 0 && !body.startsWith("-")) body = "+" + body;
            if (body.length() < width) {
                String pad = " ".repeat(width - body.length());
                if (widthFlags.startsWith("-") || widthFlags.contains("-")) body = body + pad;
                else if (widthFlags.replace(digits, "").contains("0") && conv != 's') body = "0".repeat(width - body.length()) + body;
                else body = pad + body;
            }
            b.append(body);
        }
        if (named == null && next < args.size() && values instanceof Tuple) throw Py.fail("not all arguments converted during string formatting");
        return b.toString();
    }

    /**
     * A {@code %} conversion's width or precision: at most the template output limit, so a
     * template cannot ask for a field that overflows an int or fills the heap with padding.
     */
    private static int formatField(String digits, String what) {
        String d = digits.replaceFirst("^0+(?=.)", "");
        if (d.length() > 7 || Long.parseLong(d) > ChatTemplate.MAX_OUTPUT) {
            throw Py.fail("format " + what + " " + digits + " exceeds the template output limit of " + ChatTemplate.MAX_OUTPUT + " characters");
        }
        return Integer.parseInt(d);
    }
}
