package dev.ember.engine.constrain;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A deterministic automaton over bytes: built from a {@link ByteNfa} by subset construction over
 * byte equivalence classes, trimmed so that every state it keeps can still reach an accepting state
 * (a state that cannot is "dead", -1, and a token leading there is masked), then minimized (Moore's
 * partition refinement). Trimming is what makes masks sound: whatever prefix the mask allows can be
 * completed, so generation never walks into a dead end. Immutable.
 */
final class ByteDfa {
    static final int DEAD = -1;
    static final int MAX_STATES = 400_000;
    /** Bound on the NFA states held by all DFA states together: time and memory of determinizing (fuzz finding: .*X.{404} ran past 10 s before MAX_STATES). */
    static final long MAX_SUBSET_ENTRIES = 2_000_000;

    final int[] classOf;       // byte -> equivalence class
    final int classes;
    final int[] next;          // state * classes + class -> state or DEAD
    final boolean[] accepting;
    final int start;

    private ByteDfa(int[] classOf, int classes, int[] next, boolean[] accepting, int start) {
        this.classOf = classOf;
        this.classes = classes;
        this.next = next;
        this.accepting = accepting;
        this.start = start;
    }

    int size() { return accepting.length; }

    int step(int state, int b) {
        return next[state * classes + classOf[b & 0xff]];
    }

    /** Runs the automaton over bytes from {@code state}; DEAD as soon as it dies. */
    int walk(int state, byte[] bytes) {
        for (int i = 0; i < bytes.length && state != DEAD; i++) state = step(state, bytes[i]);
        return state;
    }

    boolean matches(byte[] bytes) {
        int s = walk(start, bytes);
        return s != DEAD && accepting[s];
    }

    /** True when no byte can follow: the constraint is satisfied and complete. */
    boolean terminal(int state) {
        for (int c = 0; c < classes; c++) if (next[state * classes + c] != DEAD) return false;
        return true;
    }

    static ByteDfa of(Rx rx) {
        return determinize(ByteNfa.of(rx));
    }

    static ByteDfa determinize(ByteNfa nfa) {
        boolean[] boundary = new boolean[257];
        for (int s = 0; s < nfa.size(); s++) {
            for (int i = 0; i < nfa.edgeCount(s); i++) {
                boundary[nfa.edgeLo(s, i)] = true;
                boundary[nfa.edgeHi(s, i) + 1] = true;
            }
        }
        int[] classOf = new int[256];
        int c = -1;
        for (int b = 0; b < 256; b++) {
            if (b == 0 || boundary[b]) c++;
            classOf[b] = c;
        }
        int classes = c + 1;

        Closure closure = new Closure(nfa);
        Map<Key, Integer> ids = new HashMap<>();
        List<int[]> sets = new ArrayList<>();
        int[] table = new int[classes * 64];
        int[] startSet = closure.of(new int[]{nfa.start}, 1);
        long stored = startSet.length;
        ids.put(new Key(startSet), 0);
        sets.add(startSet);
        int[][] buckets = new int[classes][];
        int[] bucketSize = new int[classes];
        for (int d = 0; d < sets.size(); d++) {
            Arrays.fill(bucketSize, 0);
            for (int s : sets.get(d)) {
                for (int i = 0; i < nfa.edgeCount(s); i++) {
                    int t = nfa.edgeTarget(s, i);
                    for (int k = classOf[nfa.edgeLo(s, i)], end = classOf[nfa.edgeHi(s, i)]; k <= end; k++) {
                        if (buckets[k] == null) buckets[k] = new int[8];
                        else if (bucketSize[k] == buckets[k].length) buckets[k] = Arrays.copyOf(buckets[k], bucketSize[k] * 2);
                        buckets[k][bucketSize[k]++] = t;
                    }
                }
            }
            if ((d + 1) * classes > table.length) table = Arrays.copyOf(table, Math.max(table.length * 2, (d + 1) * classes));
            for (int k = 0; k < classes; k++) {
                if (bucketSize[k] == 0) { table[d * classes + k] = DEAD; continue; }
                int[] set = closure.of(buckets[k], bucketSize[k]);
                Key key = new Key(set);
                Integer id = ids.get(key);
                if (id == null) {
                    id = sets.size();
                    if (id >= MAX_STATES) {
                        throw new ConstraintException("constraint too large: more than " + MAX_STATES
                                + " automaton states (reduce repetition bounds such as maxLength/maxItems, or grammar depth)");
                    }
                    stored += set.length;
                    if (stored > MAX_SUBSET_ENTRIES) {
                        throw new ConstraintException("constraint too large: its automaton tracks more than " + MAX_SUBSET_ENTRIES
                                + " pattern positions in all (a repetition after an open-ended one, such as .*a.{400}, grows it exponentially)");
                    }
                    ids.put(key, id);
                    sets.add(set);
                }
                table[d * classes + k] = id;
            }
        }
        int n = sets.size();
        boolean[] acc = new boolean[n];
        for (int d = 0; d < n; d++) acc[d] = Arrays.binarySearch(sets.get(d), nfa.accept) >= 0;
        return minimize(trim(classOf, classes, Arrays.copyOf(table, n * classes), acc, 0));
    }

    /** Drops states that cannot reach an accepting state; fails when the start state is one of them. */
    private static ByteDfa trim(int[] classOf, int classes, int[] next, boolean[] acc, int start) {
        int n = acc.length;
        int[] revCount = new int[n + 1];
        for (int i = 0; i < next.length; i++) if (next[i] != DEAD) revCount[next[i] + 1]++;
        for (int i = 0; i < n; i++) revCount[i + 1] += revCount[i];
        int[] rev = new int[revCount[n]];
        int[] fill = Arrays.copyOf(revCount, n);
        for (int i = 0; i < next.length; i++) if (next[i] != DEAD) rev[fill[next[i]]++] = i / classes;
        boolean[] live = new boolean[n];
        ArrayDeque<Integer> q = new ArrayDeque<>();
        for (int s = 0; s < n; s++) if (acc[s]) { live[s] = true; q.add(s); }
        while (!q.isEmpty()) {
            int s = q.poll();
            for (int i = revCount[s]; i < revCount[s + 1]; i++) {
                int p = rev[i];
                if (!live[p]) { live[p] = true; q.add(p); }
            }
        }
        if (!live[start]) throw new ConstraintException("the constraint matches no text at all");
        int[] remap = new int[n];
        int m = 0;
        for (int s = 0; s < n; s++) remap[s] = live[s] ? m++ : DEAD;
        int[] out = new int[m * classes];
        boolean[] outAcc = new boolean[m];
        for (int s = 0; s < n; s++) {
            if (!live[s]) continue;
            outAcc[remap[s]] = acc[s];
            for (int k = 0; k < classes; k++) {
                int t = next[s * classes + k];
                out[remap[s] * classes + k] = t == DEAD ? DEAD : remap[t];
            }
        }
        return new ByteDfa(classOf, classes, out, outAcc, remap[start]);
    }

    /**
     * Hopcroft's partition refinement, O(n k log n): merges states no byte string can tell apart.
     * DEAD is a real sink state here (index n) so that every state has every move. Each splitter
     * (block, class) splits the blocks of the states that move into it; of a split block's halves
     * only the smaller needs to become a splitter, unless the whole block still was one. Moore's
     * round-by-round refinement, used before, needs one round per distinguishable distance: a chain
     * such as {@code .{404}z} (thousands of states, a fuzz finding) took seconds.
     */
    private static ByteDfa minimize(ByteDfa d) {
        int n = d.size(), k = d.classes, total = n + 1, sink = n;
        // predecessors by class: preds[predStart[c * total + t] .. predStart[c * total + t + 1])
        int[] predStart = new int[k * total + 1];
        for (int s = 0; s < total; s++) {
            for (int c = 0; c < k; c++) predStart[c * total + move(d, s, c, sink) + 1]++;
        }
        for (int i = 0; i < k * total; i++) predStart[i + 1] += predStart[i];
        int[] preds = new int[total * k];
        int[] fill = Arrays.copyOf(predStart, k * total);
        for (int s = 0; s < total; s++) {
            for (int c = 0; c < k; c++) preds[fill[c * total + move(d, s, c, sink)]++] = s;
        }
        // the partition: elems ordered by block, block b at [first[b], last[b]); marked states are moved to [first[b], mid[b])
        int[] elems = new int[total], loc = new int[total], blockOf = new int[total];
        int[] first = new int[total], last = new int[total], mid = new int[total];
        int blocks = 0, pos = 0;
        for (int pass = 0; pass < 2; pass++) {
            int from = pos;
            for (int s = 0; s < total; s++) {
                boolean acc = s < n && d.accepting[s];
                if (acc == (pass == 0)) {
                    elems[pos] = s;
                    loc[s] = pos++;
                    blockOf[s] = blocks;
                }
            }
            if (pos > from) {
                first[blocks] = mid[blocks] = from;
                last[blocks++] = pos;
            }
        }
        java.util.BitSet waiting = new java.util.BitSet();
        int[] work = new int[16];
        int workSize = 0;
        int smaller = blocks == 2 && last[1] - first[1] < last[0] - first[0] ? 1 : 0;
        for (int c = 0; c < k; c++) {
            if (workSize == work.length) work = Arrays.copyOf(work, workSize * 2);
            work[workSize++] = smaller * k + c;
            waiting.set(smaller * k + c);
        }
        int[] splitter = new int[total];
        int[] touched = new int[total];
        while (workSize > 0) {
            int item = work[--workSize];
            waiting.clear(item);
            int b = item / k, c = item % k;
            int size = last[b] - first[b];
            System.arraycopy(elems, first[b], splitter, 0, size);   // marking may reorder b itself
            int touchedCount = 0;
            for (int e = 0; e < size; e++) {
                int t = splitter[e];
                for (int p = predStart[c * total + t], end = predStart[c * total + t + 1]; p < end; p++) {
                    int s = preds[p];
                    int sb = blockOf[s];
                    if (loc[s] < mid[sb]) continue;   // already marked
                    if (mid[sb] == first[sb]) touched[touchedCount++] = sb;
                    int other = elems[mid[sb]];       // swap s to the marked front
                    elems[loc[s]] = other;
                    loc[other] = loc[s];
                    elems[mid[sb]] = s;
                    loc[s] = mid[sb]++;
                }
            }
            for (int x = 0; x < touchedCount; x++) {
                int sb = touched[x];
                if (mid[sb] == last[sb]) {            // every state moved in: no split
                    mid[sb] = first[sb];
                    continue;
                }
                int nb = blocks++;                    // the marked part becomes a new block
                first[nb] = mid[nb] = first[sb];
                last[nb] = mid[sb];
                first[sb] = mid[sb];
                for (int e = first[nb]; e < last[nb]; e++) blockOf[elems[e]] = nb;
                boolean newSmaller = last[nb] - first[nb] <= last[sb] - first[sb];
                for (int cc = 0; cc < k; cc++) {
                    int add = waiting.get(sb * k + cc) || newSmaller ? nb : sb;
                    if (waiting.get(add * k + cc)) continue;
                    if (workSize == work.length) work = Arrays.copyOf(work, workSize * 2);
                    work[workSize++] = add * k + cc;
                    waiting.set(add * k + cc);
                }
            }
        }
        int sinkBlock = blockOf[sink];
        if (blocks - 1 == n) return d;
        // renumber by first appearance, as states were numbered; the sink's block is DEAD
        int[] id = new int[blocks];
        Arrays.fill(id, -2);
        id[sinkBlock] = DEAD;
        int count = 0;
        for (int s = 0; s < n; s++) if (id[blockOf[s]] == -2) id[blockOf[s]] = count++;
        // (trimming left no state that cannot reach acceptance, so none shares the sink's block)
        int[] out = new int[count * k];
        boolean[] acc = new boolean[count];
        for (int s = 0; s < n; s++) {
            int to = id[blockOf[s]];
            acc[to] = d.accepting[s];
            for (int c = 0; c < k; c++) out[to * k + c] = id[blockOf[move(d, s, c, sink)]];
        }
        return new ByteDfa(d.classOf, k, out, acc, id[blockOf[d.start]]);
    }

    /** The state {@code s} moves to on class {@code c}, with DEAD (and the sink itself) as {@code sink}. */
    private static int move(ByteDfa d, int s, int c, int sink) {
        if (s == sink) return sink;
        int t = d.next[s * d.classes + c];
        return t == DEAD ? sink : t;
    }

    private record Key(int[] v) {
        @Override public boolean equals(Object o) { return o instanceof Key(int[] w) && Arrays.equals(v, w); }
        @Override public int hashCode() { return Arrays.hashCode(v); }
    }

    /** Epsilon closures, as sorted state arrays. */
    private static final class Closure {
        private final ByteNfa nfa;
        private final int[] mark;
        private int stamp;
        private int[] stack = new int[64];

        Closure(ByteNfa nfa) {
            this.nfa = nfa;
            this.mark = new int[nfa.size()];
        }

        int[] of(int[] seeds, int count) {
            stamp++;
            int sp = 0, outN = 0;
            int[] out = new int[Math.max(8, count)];
            for (int i = 0; i < count; i++) {
                int s = seeds[i];
                if (mark[s] == stamp) continue;
                mark[s] = stamp;
                if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                stack[sp++] = s;
            }
            while (sp > 0) {
                int s = stack[--sp];
                // states with only epsilon moves add nothing to the DFA state but their successors; keep the others
                if (nfa.edgeCount(s) > 0 || s == nfa.accept) {
                    if (outN == out.length) out = Arrays.copyOf(out, outN * 2);
                    out[outN++] = s;
                }
                for (int i = 0; i < nfa.epsCount(s); i++) {
                    int t = nfa.eps(s, i);
                    if (mark[t] == stamp) continue;
                    mark[t] = stamp;
                    if (sp == stack.length) stack = Arrays.copyOf(stack, sp * 2);
                    stack[sp++] = t;
                }
            }
            int[] r = Arrays.copyOf(out, outN);
            Arrays.sort(r);
            return r;
        }
    }
}
