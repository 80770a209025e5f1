package dev.ember.engine.chat;

import dev.ember.engine.chat.Py.Namespace;
import dev.ember.engine.chat.Py.Tuple;
import dev.ember.engine.chat.Py.Undefined;

import java.util.List;
import java.util.Map;

/**
 * {@code x.name}, {@code x[key]} and {@code x[a:b:c]} as jinja2's sandbox resolves them: an
 * attribute is a method of the value's Python type (see {@link Methods}) before it is an item, an
 * item before a method; anything missing is Undefined, not an error, until it is used. There is
 * no other way to reach an object's members, so a template cannot reach Java.
 */
final class Access {
    private Access() {}

    static Object attr(Object obj, String name) {
        switch (obj) {
            case null -> {
                return new Undefined("'NoneType object' has no attribute '" + name + "'");
            }
            case Undefined u -> throw Py.fail(u.name());
            case Namespace n -> {
                return n.attrs.containsKey(name) ? n.attrs.get(name) : new Undefined("the namespace has no attribute '" + name + "'");
            }
            case Interpreter.Loop l -> {
                return l.attr(name);
            }
            default -> { }
        }
        Object method = Methods.bind(obj, name);
        if (method != null) return method;
        if (obj instanceof Map<?, ?> m && m.containsKey(name)) return m.get(name);
        return new Undefined("'" + Py.typeName(obj) + " object' has no attribute '" + name + "'");
    }

    static Object item(Object obj, Object key) {
        switch (obj) {
            case null -> {
                return new Undefined("'NoneType' object is not subscriptable");
            }
            case Undefined u -> throw Py.fail(u.name());
            case Map<?, ?> m -> {
                Object k = key instanceof Boolean b ? (Object) (b ? 1L : 0L) : key;
                if (m.containsKey(key)) return m.get(key);
                if (m.containsKey(k)) return m.get(k);
            }
            case List<?> l when Py.isInt(key) -> {
                long i = Py.toLong(key);
                if (i < 0) i += l.size();
                if (i >= 0 && i < l.size()) return l.get((int) i);
                return new Undefined("list index out of range");
            }
            case String s when Py.isInt(key) -> {
                long i = Py.toLong(key);
                int n = s.codePointCount(0, s.length());
                if (i < 0) i += n;
                if (i >= 0 && i < n) return Character.toString(s.codePointAt(s.offsetByCodePoints(0, (int) i)));
                return new Undefined("string index out of range");
            }
            default -> { }
        }
        if (key instanceof String name) return attr(obj, name);
        return new Undefined("'" + Py.typeName(obj) + " object' has no item " + Py.repr(key));
    }

    static Object slice(Object obj, Object start, Object stop, Object step) {
        for (Object o : new Object[]{start, stop, step}) {
            if (o != null && !Py.isInt(o)) throw Py.fail("slice indices must be integers or None, not " + Py.typeName(o));
        }
        switch (obj) {
            case String s -> {
                int[] cps = s.codePoints().toArray();
                long[] idx = Py.sliceIndices(start, stop, step, cps.length);
                StringBuilder b = new StringBuilder();
                if (idx[2] > 0) for (long i = idx[0]; i < idx[1]; i += idx[2]) b.appendCodePoint(cps[(int) i]);
                else for (long i = idx[0]; i > idx[1]; i += idx[2]) b.appendCodePoint(cps[(int) i]);
                return b.toString();
            }
            case Tuple t -> {
                return new Tuple(Py.slice(t, Py.sliceIndices(start, stop, step, t.size())));
            }
            case List<?> l -> {
                @SuppressWarnings("unchecked") List<Object> items = (List<Object>) l;
                return Py.slice(items, Py.sliceIndices(start, stop, step, l.size()));
            }
            case Undefined u -> throw Py.fail(u.name());
            case null, default -> throw Py.fail("'" + Py.typeName(obj) + "' object is not subscriptable");
        }
    }
}
