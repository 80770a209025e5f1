package dev.ember.engine.chat;

import dev.ember.engine.chat.Node.*;
import dev.ember.engine.chat.Py.Callable;
import dev.ember.engine.chat.Py.Namespace;
import dev.ember.engine.chat.Py.Tuple;
import dev.ember.engine.chat.Py.Undefined;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a parsed template once, with jinja2's scoping (a for loop's body and a macro get their own
 * scope; if does not) and under a budget: a template comes with a model file from anywhere, so
 * steps, output, string and list sizes and macro recursion are bounded, and going over fails the
 * render rather than truncating the prompt.
 */
final class Interpreter {
    /** Statements, expressions, loop iterations and filter items one render may take (plus characters / 64 built). */
    static final long MAX_STEPS = 1_000_000;
    /** Deepest macro recursion. */
    static final int MAX_CALL_DEPTH = 32;

    private final Map<String, Object> globals;
    private final long maxChars;
    private long steps;
    private int callDepth;
    private int line;

    Interpreter(Map<String, Object> globals, long maxChars) {
        this.globals = globals;
        this.maxChars = maxChars;
    }

    /** A scope: a loop iteration, a macro call, a with block, or the template's top level. */
    static final class Frame {
        final Frame parent;
        final Map<String, Object> vars = new HashMap<>();
        Frame(Frame parent) { this.parent = parent; }
    }

    private static final class LoopControl extends RuntimeException {
        final boolean isBreak;
        LoopControl(boolean isBreak) {
            super(null, null, false, false);
            this.isBreak = isBreak;
        }
    }

    private static final LoopControl BREAK = new LoopControl(true);
    private static final LoopControl CONTINUE = new LoopControl(false);

    String render(List<Stmt> body, Map<String, Object> vars) {
        Frame root = new Frame(null);
        root.vars.putAll(vars);
        StringBuilder out = new StringBuilder();
        try {
            exec(body, root, out);
        } catch (LoopControl c) {
            throw Py.fail("chat template error: '" + (c.isBreak ? "break" : "continue") + "' outside a loop");
        } catch (ChatTemplateException e) {
            if (e.getMessage().startsWith("chat template") || e.getMessage().startsWith("the chat template")) throw e;
            throw Py.fail("chat template error: " + e.getMessage() + " (line " + line + ")");
        }
        return out.toString();
    }

    /** Counts work against the budget. */
    void charge(long units) {
        steps += units;
        if (steps > MAX_STEPS) throw Py.fail("the chat template ran too long (over " + MAX_STEPS + " steps)");
    }

    /** Checks a string about to be built (by concatenation, repetition, join, …) and charges for it. */
    void checkSize(long chars) {
        if (chars > maxChars) throw Py.fail("a string in the chat template passed the limit of " + maxChars + " characters");
        charge(1 + chars / 64);
    }

    void checkListSize(long items) {
        if (items > maxChars) throw Py.fail("a list in the chat template passed the limit of " + maxChars + " items");
        charge(1 + items / 16);
    }

    private void append(StringBuilder out, String s) {
        if ((long) out.length() + s.length() > maxChars) throw Py.fail("the rendered prompt passed the limit of " + maxChars + " characters");
        charge(1 + s.length() / 64);
        out.append(s);
    }

    void exec(List<Stmt> body, Frame f, StringBuilder out) {
        for (Stmt s : body) exec(s, f, out);
    }

    private void exec(Stmt s, Frame f, StringBuilder out) {
        charge(1);
        line = s.line();
        switch (s) {
            case Text t -> append(out, t.text());
            case Print p -> append(out, Py.str(eval(p.value(), f)));
            case If i -> {
                for (int k = 0; k < i.tests().size(); k++) {
                    if (Py.truthy(eval(i.tests().get(k), f))) {
                        exec(i.bodies().get(k), f, out);
                        return;
                    }
                }
                exec(i.orElse(), f, out);
            }
            case For fo -> loop(fo, f, out);
            case Node.Set st -> assign(st.target(), eval(st.value(), f), f);
            case SetBlock sb -> {
                Object v = capture(sb.body(), f);
                for (Filter flt : sb.filters()) v = filter(flt, v, f);
                f.vars.put(sb.name(), v);
            }
            case Node.Macro m -> f.vars.put(m.name(), new MacroValue(m.name(), m.params(), m.defaults(), m.body(), f));
            case CallBlock cb -> {
                Callable callee = asCallable(eval(cb.call().fn(), f));
                List<Object> args = evalAll(cb.call().args(), f);
                Map<String, Object> kwargs = evalKwargs(cb.call().kwNames(), cb.call().kwValues(), f);
                kwargs.put("caller", new MacroValue("caller", cb.params(), cb.defaults(), cb.body(), f));
                append(out, Py.str(callee.call(this, args, kwargs)));
            }
            case FilterBlock fb -> {
                Object v = capture(fb.body(), f);
                for (Filter flt : fb.filters()) v = filter(flt, v, f);
                append(out, Py.str(v));
            }
            case With w -> {
                Frame inner = new Frame(f);
                for (int k = 0; k < w.targets().size(); k++) assign(w.targets().get(k), eval(w.values().get(k), f), inner);
                exec(w.body(), inner, out);
            }
            case Break b -> throw BREAK;
            case Continue c -> throw CONTINUE;
        }
    }

    private String capture(List<Stmt> body, Frame f) {
        StringBuilder b = new StringBuilder();
        exec(body, f, b);
        return b.toString();
    }

    private void loop(For fo, Frame f, StringBuilder out) {
        List<Object> items = Py.iterate(eval(fo.iter(), f));
        if (fo.filter() != null) {
            List<Object> kept = new ArrayList<>();
            for (Object item : items) {
                charge(1);
                Frame probe = new Frame(f);
                assign(fo.target(), item, probe);
                if (Py.truthy(eval(fo.filter(), probe))) kept.add(item);
            }
            items = kept;
        }
        int depth = line;
        for (int i = 0; i < items.size(); i++) {
            charge(1);
            Frame inner = new Frame(f);
            assign(fo.target(), items.get(i), inner);
            inner.vars.put("loop", new Loop(items, i));
            try {
                exec(fo.body(), inner, out);
            } catch (LoopControl c) {
                if (c.isBreak) break;
            }
            line = depth;
        }
        if (items.isEmpty()) exec(fo.orElse(), new Frame(f), out);
    }

    /** jinja2's loop variable. */
    record Loop(List<Object> items, int index) {
        Object attr(String name) {
            int n = items.size();
            return switch (name) {
                case "index" -> (long) index + 1;
                case "index0" -> (long) index;
                case "revindex" -> (long) (n - index);
                case "revindex0" -> (long) (n - index - 1);
                case "first" -> index == 0;
                case "last" -> index == n - 1;
                case "length" -> (long) n;
                case "depth" -> 1L;
                case "depth0" -> 0L;
                case "previtem" -> index > 0 ? items.get(index - 1) : new Undefined("there is no previous item");
                case "nextitem" -> index < n - 1 ? items.get(index + 1) : new Undefined("there is no next item");
                case "cycle" -> (Callable) (in, args, kw) -> {
                    if (args.isEmpty()) throw Py.fail("no items for cycling given");
                    return args.get(index % args.size());
                };
                default -> new Undefined("the loop has no attribute '" + name + "'");
            };
        }
    }

    private void assign(Expr target, Object value, Frame f) {
        switch (target) {
            case Name n -> f.vars.put(n.name(), value);
            case TupleLit t -> {
                List<Object> items = Py.iterate(value);
                if (items.size() != t.items().size()) {
                    throw Py.fail("cannot unpack " + items.size() + " values into " + t.items().size() + " names");
                }
                for (int i = 0; i < items.size(); i++) assign(t.items().get(i), items.get(i), f);
            }
            case Attr a -> {
                Object ns = eval(a.obj(), f);
                if (!(ns instanceof Namespace n)) throw Py.fail("can only assign attributes of a namespace(), not of " + Py.typeName(ns));
                n.attrs.put(a.name(), value);
            }
            default -> throw Py.fail("cannot assign to this expression");
        }
    }

    Object lookup(String name, Frame f) {
        for (Frame x = f; x != null; x = x.parent) {
            Object v = x.vars.get(name);
            if (v != null || x.vars.containsKey(name)) return v;
        }
        if (globals.containsKey(name)) return globals.get(name);
        return new Undefined("'" + name + "' is undefined");
    }

    private List<Object> evalAll(List<Expr> exprs, Frame f) {
        List<Object> out = new ArrayList<>(exprs.size());
        for (Expr e : exprs) out.add(eval(e, f));
        return out;
    }

    private Map<String, Object> evalKwargs(List<String> names, List<Expr> values, Frame f) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) out.put(names.get(i), eval(values.get(i), f));
        return out;
    }

    Object eval(Expr e, Frame f) {
        charge(1);
        return switch (e) {
            case Const c -> c.value();
            case Name n -> lookup(n.name(), f);
            case ListLit l -> {
                checkListSize(l.items().size());
                yield evalAll(l.items(), f);
            }
            case TupleLit t -> new Tuple(evalAll(t.items(), f));
            case DictLit d -> {
                Map<Object, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < d.keys().size(); i++) {
                    Object k = eval(d.keys().get(i), f);
                    if (k instanceof List<?> || k instanceof Map<?, ?> || k instanceof Undefined) throw Py.fail("unhashable type: '" + Py.typeName(k) + "'");
                    m.put(k, eval(d.values().get(i), f));
                }
                yield m;
            }
            case Attr a -> Access.attr(eval(a.obj(), f), a.name());
            case Item i -> Access.item(eval(i.obj(), f), eval(i.key(), f));
            case Slice s -> Access.slice(eval(s.obj(), f), opt(s.start(), f), opt(s.stop(), f), opt(s.step(), f));
            case Call c -> {
                Callable fn = asCallable(eval(c.fn(), f));
                yield fn.call(this, evalAll(c.args(), f), evalKwargs(c.kwNames(), c.kwValues(), f));
            }
            case Filter flt -> filter(flt, eval(flt.value(), f), f);
            case Test t -> {
                boolean r = Builtins.test(this, t.name(), eval(t.value(), f), evalAll(t.args(), f), f);
                yield t.negated() != r;
            }
            case Unary u -> switch (u.op()) {
                case "not" -> !Py.truthy(eval(u.operand(), f));
                case "-" -> Ops.negate(eval(u.operand(), f));
                default -> Ops.plus(eval(u.operand(), f));
            };
            case Binary b -> switch (b.op()) {
                case "and" -> {
                    Object l = eval(b.left(), f);
                    yield Py.truthy(l) ? eval(b.right(), f) : l;
                }
                case "or" -> {
                    Object l = eval(b.left(), f);
                    yield Py.truthy(l) ? l : eval(b.right(), f);
                }
                default -> Ops.binary(this, b.op(), eval(b.left(), f), eval(b.right(), f));
            };
            case Compare c -> {
                Object left = eval(c.first(), f);
                for (int i = 0; i < c.ops().size(); i++) {
                    Object right = eval(c.rest().get(i), f);
                    if (!Ops.compare(c.ops().get(i), left, right)) yield false;
                    left = right;
                }
                yield true;
            }
            case Cond c -> Py.truthy(eval(c.test(), f)) ? eval(c.then(), f)
                    : c.orElse() == null ? new Undefined("the inline if has no else") : eval(c.orElse(), f);
        };
    }

    private Object opt(Expr e, Frame f) {
        return e == null ? null : eval(e, f);
    }

    private Object filter(Filter flt, Object value, Frame f) {
        return Builtins.filter(this, flt.name(), value, evalAll(flt.args(), f), evalKwargs(flt.kwNames(), flt.kwValues(), f), f);
    }

    static Callable asCallable(Object fn) {
        if (fn instanceof Callable c) return c;
        if (fn instanceof Undefined u) throw Py.fail(u.name());
        throw Py.fail("'" + Py.typeName(fn) + "' object is not callable");
    }

    /** A macro (or a call block's caller), closed over the scope it was defined in. */
    record MacroValue(String name, List<String> params, List<Expr> defaults, List<Stmt> body, Frame closure) implements Callable {
        @Override
        public Object call(Interpreter in, List<Object> args, Map<String, Object> kwargs) {
            if (++in.callDepth > MAX_CALL_DEPTH) throw Py.fail("macro '" + name + "' recursed deeper than " + MAX_CALL_DEPTH + " calls");
            int savedLine = in.line;
            try {
                Frame fr = new Frame(closure);
                Map<String, Object> kw = new LinkedHashMap<>(kwargs);
                Object caller = kw.remove("caller");
                if (caller != null) fr.vars.put("caller", caller);
                int firstDefault = params.size() - defaults.size();
                for (int i = 0; i < params.size(); i++) {
                    String p = params.get(i);
                    Object v;
                    if (i < args.size()) {
                        v = args.get(i);
                        if (kw.containsKey(p)) throw Py.fail("macro '" + name + "' got multiple values for argument '" + p + "'");
                    } else if (kw.containsKey(p)) {
                        v = kw.remove(p);
                    } else if (i >= firstDefault) {
                        v = in.eval(defaults.get(i - firstDefault), fr);
                    } else {
                        v = new Undefined("parameter '" + p + "' was not provided");
                    }
                    fr.vars.put(p, v);
                }
                fr.vars.put("varargs", new Tuple(args.size() > params.size() ? new ArrayList<>(args.subList(params.size(), args.size())) : List.of()));
                fr.vars.put("kwargs", new LinkedHashMap<Object, Object>(kw));
                StringBuilder b = new StringBuilder();
                in.exec(body, fr, b);
                return b.toString();
            } finally {
                in.callDepth--;
                in.line = savedLine;
            }
        }
    }
}
