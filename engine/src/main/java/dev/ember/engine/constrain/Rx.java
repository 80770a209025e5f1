package dev.ember.engine.constrain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A regular language over Unicode text, the common form every constraint compiles to (regexes,
 * choices, JSON Schema and GBNF grammars) before it becomes a byte automaton. Nodes may be shared
 * (a DAG); {@link ByteNfa} expands each use.
 */
sealed interface Rx {
    /** The empty string. */
    record Empty() implements Rx {}

    /** No string at all (a branch that can never match, e.g. recursion cut off at its depth limit). */
    record Nothing() implements Rx {}

    /** One code point from a set. */
    record Chars(CodePointSet set) implements Rx {}

    /** Exact bytes (a literal, already UTF-8). */
    record Bytes(byte[] bytes) implements Rx {}

    record Seq(List<Rx> items) implements Rx {}

    record Alt(List<Rx> options) implements Rx {}

    /** {@code min..max} repetitions; {@code max < 0} means unbounded. */
    record Repeat(Rx item, int min, int max) implements Rx {}

    Rx EMPTY = new Empty();
    Rx NOTHING = new Nothing();

    static Rx literal(String s) {
        return s.isEmpty() ? EMPTY : new Bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    static Rx chars(CodePointSet set) { return set.isEmpty() ? NOTHING : new Chars(set); }

    static Rx seq(Rx... items) { return seq(List.of(items)); }

    static Rx seq(List<Rx> items) {
        List<Rx> out = new ArrayList<>();
        for (Rx r : items) {
            if (r instanceof Nothing) return NOTHING;
            if (r instanceof Empty) continue;
            if (r instanceof Seq s) out.addAll(s.items()); else out.add(r);
        }
        if (out.isEmpty()) return EMPTY;
        return out.size() == 1 ? out.getFirst() : new Seq(List.copyOf(out));
    }

    static Rx alt(Rx... options) { return alt(List.of(options)); }

    static Rx alt(List<Rx> options) {
        List<Rx> out = new ArrayList<>();
        for (Rx r : options) {
            if (r instanceof Nothing) continue;
            if (r instanceof Alt a) out.addAll(a.options()); else out.add(r);
        }
        if (out.isEmpty()) return NOTHING;
        return out.size() == 1 ? out.getFirst() : new Alt(List.copyOf(out));
    }

    static Rx repeat(Rx item, int min, int max) {
        if (max >= 0 && max < min) throw new ConstraintException("repetition {" + min + "," + max + "} has max < min");
        if (max == 0) return EMPTY;
        if (item instanceof Nothing) return min == 0 ? EMPTY : NOTHING;
        if (item instanceof Empty) return EMPTY;
        if (min == 1 && max == 1) return item;
        if (item instanceof Repeat inner && inner.min() <= 1 && min <= 1 && max < 0) {
            // (x*)*, (x?)+, (x{1,3})*, (x+)+: one loop, not nested ones whose empty moves every subset of
            // the automaton would walk again (a GBNF fuzz finding nested twenty of them)
            return new Repeat(inner.item(), Math.min(min, inner.min()), -1);
        }
        if (item instanceof Repeat inner && inner.min() == 0 && inner.max() < 0) return item;   // (x*){m,n} is x*
        return new Repeat(item, min, max);
    }

    static Rx optional(Rx item) { return repeat(item, 0, 1); }
}
