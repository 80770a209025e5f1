package dev.ember.engine.constrain;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A nondeterministic automaton over bytes, built from an {@link Rx} by continuation passing: each
 * node is compiled knowing the state that follows it, so a repetition's copies and an alternative's
 * branches all lead into one shared successor. Code point sets become the UTF-8 byte-range sequences
 * that encode them (the split of Russ Cox's RE2 / Rust's regex-syntax), so a token that ends inside a
 * multi-byte character simply leaves the automaton between bytes.
 */
final class ByteNfa {
    /**
     * A cap on states, so that a runaway repetition fails clearly and fast. Linear automata that pass
     * the DFA's bounds need far fewer (llama.cpp's JSON grammar at depth 3: 87,309; a string of
     * maxLength 8,000: 96,003); at 2,000,000, {@code .{0,99993}z} built a million states and then
     * determinized up to the DFA's bound: over the fuzz targets' 1 s per input.
     */
    static final int MAX_STATES = 400_000;

    private int size;
    // While building: moves appended as they come, (from, to) and (from, lo, hi, to). Then, in
    // compressed rows by source state (insertion order kept): no array per state, which for a few
    // hundred thousand states cost more than the rest of building.
    private int[] epsMoves = new int[128];
    private int epsMoveCount;
    private int[] byteMoves = new int[256];
    private int byteMoveCount;
    private int[] epsStart, epsTarget, edgeStart, edgeRanges;
    /** Composite nodes with more than one parent in the Rx graph: the only ones worth memoizing. */
    private final Set<Rx> shared = Collections.newSetFromMap(new IdentityHashMap<>());
    /** (shared node, successor) -> entry: a node used twice before the same successor is built once. */
    private final IdentityHashMap<Rx, Map<Integer, Integer>> built = new IdentityHashMap<>();
    final int accept;
    final int start;

    private ByteNfa(Rx rx) {
        findShared(rx, Collections.newSetFromMap(new IdentityHashMap<>()));
        accept = newState();
        start = compile(rx, accept);
        epsStart = rowStarts(epsMoves, epsMoveCount, 2, size);
        epsTarget = new int[epsMoveCount];
        int[] fill = Arrays.copyOf(epsStart, size);
        for (int m = 0; m < epsMoveCount; m++) epsTarget[fill[epsMoves[2 * m]]++] = epsMoves[2 * m + 1];
        edgeStart = rowStarts(byteMoves, byteMoveCount, 4, size);
        edgeRanges = new int[3 * byteMoveCount];
        fill = Arrays.copyOf(edgeStart, size);
        for (int m = 0; m < byteMoveCount; m++) System.arraycopy(byteMoves, 4 * m + 1, edgeRanges, 3 * fill[byteMoves[4 * m]]++, 3);
        epsMoves = byteMoves = null;
    }

    /** Where each state's moves start once grouped by source, the first of each move's {@code stride} ints. */
    private static int[] rowStarts(int[] moves, int count, int stride, int states) {
        int[] start = new int[states + 1];
        for (int m = 0; m < count; m++) start[moves[stride * m] + 1]++;
        for (int st = 0; st < states; st++) start[st + 1] += start[st];
        return start;
    }

    private void findShared(Rx rx, Set<Rx> seen) {
        if (!(rx instanceof Rx.Alt || rx instanceof Rx.Seq || rx instanceof Rx.Repeat)) return;
        if (!seen.add(rx)) {
            shared.add(rx);
            return;
        }
        switch (rx) {
            case Rx.Seq s -> s.items().forEach(i -> findShared(i, seen));
            case Rx.Alt a -> a.options().forEach(o -> findShared(o, seen));
            case Rx.Repeat r -> findShared(r.item(), seen);
            default -> { }
        }
    }

    static ByteNfa of(Rx rx) { return new ByteNfa(rx); }

    int size() { return size; }
    int epsCount(int s) { return epsStart[s + 1] - epsStart[s]; }
    int eps(int s, int i) { return epsTarget[epsStart[s] + i]; }
    int edgeCount(int s) { return edgeStart[s + 1] - edgeStart[s]; }
    int edgeLo(int s, int i) { return edgeRanges[3 * (edgeStart[s] + i)]; }
    int edgeHi(int s, int i) { return edgeRanges[3 * (edgeStart[s] + i) + 1]; }
    int edgeTarget(int s, int i) { return edgeRanges[3 * (edgeStart[s] + i) + 2]; }

    private int newState() {
        if (size == MAX_STATES) {
            throw new ConstraintException("constraint too large: more than " + MAX_STATES
                    + " automaton states (reduce repetition bounds such as maxLength/maxItems, or grammar depth)");
        }
        return size++;
    }

    private void addEps(int from, int to) {
        if (2 * epsMoveCount + 2 > epsMoves.length) epsMoves = Arrays.copyOf(epsMoves, epsMoves.length * 2);
        epsMoves[2 * epsMoveCount] = from;
        epsMoves[2 * epsMoveCount++ + 1] = to;
    }

    private void addEdge(int from, int lo, int hi, int to) {
        if (4 * byteMoveCount + 4 > byteMoves.length) byteMoves = Arrays.copyOf(byteMoves, byteMoves.length * 2);
        int k = 4 * byteMoveCount++;
        byteMoves[k] = from;
        byteMoves[k + 1] = lo;
        byteMoves[k + 2] = hi;
        byteMoves[k + 3] = to;
    }

    /**
     * Compiles {@code rx} so that matching it from the returned state leads to {@code next}. Composite
     * nodes are memoized per successor: JSON Schema's optional properties reuse the same tail after
     * both "present" and "absent", which would otherwise double the automaton per optional property.
     * A node with one parent is never met again with the same successor, so it skips the memo (whose
     * maps, one per node, were most of the time of building a 300,000-state automaton).
     */
    private int compile(Rx rx, int next) {
        if (shared.contains(rx)) {
            Map<Integer, Integer> byNext = built.computeIfAbsent(rx, k -> new HashMap<>());
            Integer hit = byNext.get(next);
            if (hit != null) return hit;
            int entry = build(rx, next);
            byNext.put(next, entry);
            return entry;
        }
        return build(rx, next);
    }

    private int build(Rx rx, int next) {
        return switch (rx) {
            case Rx.Empty e -> next;
            case Rx.Nothing n -> newState();          // no way out: trimmed as dead by the DFA
            case Rx.Bytes b -> {
                int s = next;
                for (int i = b.bytes().length - 1; i >= 0; i--) {
                    int p = newState();
                    int v = b.bytes()[i] & 0xff;
                    addEdge(p, v, v, s);
                    s = p;
                }
                yield s;
            }
            case Rx.Chars c -> compileChars(c.set(), next);
            case Rx.Seq s -> {
                int st = next;
                List<Rx> items = s.items();
                for (int i = items.size() - 1; i >= 0; i--) st = compile(items.get(i), st);
                yield st;
            }
            case Rx.Alt a -> {
                int st = newState();
                for (Rx o : a.options()) addEps(st, compile(o, next));
                yield st;
            }
            case Rx.Repeat r -> compileRepeat(r, next);
        };
    }

    private int compileRepeat(Rx.Repeat r, int next) {
        int tail;
        if (r.max() < 0) {
            int loop = newState();
            addEps(loop, compile(r.item(), loop));
            addEps(loop, next);
            tail = loop;
        } else {
            tail = next;
            for (int i = r.min(); i < r.max(); i++) {
                int before = size;
                int opt = newState();
                addEps(opt, compile(r.item(), tail));
                addEps(opt, next);
                tail = opt;
                if (i == r.min()) ensureRoom(size - before, r.max() - 1L);
            }
        }
        for (int i = 0; i < r.min(); i++) {
            int before = size;
            tail = compile(r.item(), tail);
            if (i == 0 && (r.max() == r.min() || r.max() < 0)) ensureRoom(size - before, r.min() - 1L);
        }
        return tail;
    }

    /**
     * Fails at once, rather than after building up to the bound, when {@code copies} more copies of
     * {@code perCopy} states cannot fit: {@code \d{4293203}} would otherwise build two million states
     * first (a fuzz timeout).
     */
    private void ensureRoom(long perCopy, long copies) {
        if (size + perCopy * copies > MAX_STATES) {
            throw new ConstraintException("constraint too large: more than " + MAX_STATES
                    + " automaton states (reduce repetition bounds such as maxLength/maxItems or {n,m}, or grammar depth)");
        }
    }

    /**
     * The UTF-8 encodings of a code point set, with common suffixes shared. The shape depends only on
     * the set, so it is worked out once per set ({@link CharsShape}) and copied for every use:
     * {@code .{404}} places the same few hundred byte ranges 404 times.
     */
    private int compileChars(CodePointSet set, int next) {
        CharsShape shape = shapes.computeIfAbsent(set, CharsShape::of);
        int base = size;
        for (int i = 0; i < shape.states; i++) newState();
        for (int e = 0; e < shape.edges.length; e += 4) {
            int to = shape.edges[e + 3];
            addEdge(base + shape.edges[e], shape.edges[e + 1], shape.edges[e + 2], to < 0 ? next : base + to);
        }
        return base;
    }

    private final Map<CodePointSet, CharsShape> shapes = new HashMap<>();

    /**
     * A code point set's UTF-8 automaton with its successor left open: {@code states} states, the
     * entry first, and edges (from, lo, hi, to) with {@code to == -1} for the successor.
     */
    private record CharsShape(int states, int[] edges) {
        static CharsShape of(CodePointSet set) {
            int[] count = {1};                                     // the entry, state 0
            java.util.List<int[]> edges = new java.util.ArrayList<>();
            Map<Long, Integer> suffixes = new HashMap<>();
            for (int i = 0; i < set.rangeCount(); i++) {
                Utf8Ranges.split(set.lo(i), set.hi(i), seq -> {
                    int st = -1;
                    long key = 1;                                  // the byte ranges from the end, 16 bits each
                    for (int k = seq.length / 2 - 1; k >= 1; k--) {
                        int lo = seq[2 * k], hi = seq[2 * k + 1];
                        key = key << 16 | lo << 8 | hi;
                        int prev = st;
                        st = suffixes.computeIfAbsent(key, x -> {
                            int p = count[0]++;
                            edges.add(new int[]{p, lo, hi, prev});
                            return p;
                        });
                    }
                    edges.add(new int[]{0, seq[0], seq[1], st});
                });
            }
            int[] flat = new int[edges.size() * 4];
            for (int e = 0; e < edges.size(); e++) System.arraycopy(edges.get(e), 0, flat, 4 * e, 4);
            return new CharsShape(count[0], flat);
        }
    }

    /** Splitting code point ranges into UTF-8 byte-range sequences. */
    static final class Utf8Ranges {
        private Utf8Ranges() {}

        interface Sink { void accept(int[] byteRanges); }

        /** Emits (lo0, hi0, lo1, hi1, ...) byte ranges whose concatenations encode exactly [lo, hi]. */
        static void split(int lo, int hi, Sink out) {
            if (lo > hi) return;
            if (lo <= 0xD7FF && hi >= 0xE000) {   // never encode surrogates
                split(lo, 0xD7FF, out);
                split(0xE000, hi, out);
                return;
            }
            for (int max : new int[]{0x7F, 0x7FF, 0xFFFF}) {
                if (lo <= max && max < hi) {
                    split(lo, max, out);
                    split(max + 1, hi, out);
                    return;
                }
            }
            if (hi <= 0x7F) {
                out.accept(new int[]{lo, hi});
                return;
            }
            for (int i = 1; i < 4; i++) {
                int m = (1 << (6 * i)) - 1;
                if ((lo & ~m) != (hi & ~m)) {
                    if ((lo & m) != 0) {
                        split(lo, lo | m, out);
                        split((lo | m) + 1, hi, out);
                        return;
                    }
                    if ((hi & m) != m) {
                        split(lo, (hi & ~m) - 1, out);
                        split(hi & ~m, hi, out);
                        return;
                    }
                }
            }
            byte[] a = new String(Character.toChars(lo)).getBytes(StandardCharsets.UTF_8);
            byte[] b = new String(Character.toChars(hi)).getBytes(StandardCharsets.UTF_8);
            int[] r = new int[a.length * 2];
            for (int k = 0; k < a.length; k++) {
                r[2 * k] = a[k] & 0xff;
                r[2 * k + 1] = b[k] & 0xff;
            }
            out.accept(r);
        }
    }
}
