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
     * Moore's partition refinement: merges states no byte string can tell apart. Each round splits
     * blocks by (own block, successors' blocks), grouped through an open-addressing table of
     * representative states, so a round allocates nothing per state; it stops when no block splits.
     */
    private static ByteDfa minimize(ByteDfa d) {
        int n = d.size(), k = d.classes;
        int[] next = d.next;
        int[] block = new int[n];
        for (int s = 0; s < n; s++) block[s] = d.accepting[s] ? 1 : 0;
        int cap = Integer.highestOneBit(Math.max(4, n * 2 - 1)) << 1;
        int[] table = new int[cap];
        int blocks = -1;
        while (true) {
            Arrays.fill(table, -1);
            int[] nb = new int[n];
            int count = 0;
            for (int s = 0; s < n; s++) {
                int h = block[s] * 0x9E3779B9;
                for (int c = 0, base = s * k; c < k; c++) {
                    int t = next[base + c];
                    h = (h ^ (t == DEAD ? -1 : block[t])) * 0x01000193;
                }
                int i = (h ^ (h >>> 16)) & (cap - 1);
                while (true) {
                    int r = table[i];
                    if (r < 0) {
                        table[i] = s;
                        nb[s] = count++;
                        break;
                    }
                    if (sameSignature(s, r, block, next, k)) {
                        nb[s] = nb[r];
                        break;
                    }
                    i = (i + 1) & (cap - 1);
                }
            }
            block = nb;
            if (count == blocks) break;
            blocks = count;
        }
        if (blocks == n) return d;
        int[] out = new int[blocks * k];
        boolean[] acc = new boolean[blocks];
        for (int s = 0; s < n; s++) {
            acc[block[s]] = d.accepting[s];
            for (int c = 0; c < k; c++) {
                int t = next[s * k + c];
                out[block[s] * k + c] = t == DEAD ? DEAD : block[t];
            }
        }
        return new ByteDfa(d.classOf, k, out, acc, block[d.start]);
    }

    private static boolean sameSignature(int a, int b, int[] block, int[] next, int k) {
        if (block[a] != block[b]) return false;
        for (int c = 0, ba = a * k, bb = b * k; c < k; c++) {
            int ta = next[ba + c], tb = next[bb + c];
            int x = ta == DEAD ? -1 : block[ta], y = tb == DEAD ? -1 : block[tb];
            if (x != y) return false;
        }
        return true;
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
