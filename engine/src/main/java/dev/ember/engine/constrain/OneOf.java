package dev.ember.engine.constrain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * oneOf is compiled as a choice between its branches, which is only right when no value matches two
 * branches. This checks that with a product walk of the branches' automata and fails with an example
 * value when two of them overlap, instead of letting the model write a value the schema rejects.
 */
final class OneOf {
    private static final int LIMIT = 500_000;

    private OneOf() {}

    static void checkDisjoint(List<Rx> branches, String path) {
        if (branches.size() < 2) return;
        ByteDfa[] d = new ByteDfa[branches.size()];
        for (int i = 0; i < d.length; i++) {
            try {
                d[i] = ByteDfa.of(branches.get(i));
            } catch (ConstraintException e) {
                d[i] = null;      // a branch that matches nothing overlaps nothing
            }
        }
        for (int i = 0; i < d.length; i++) {
            for (int j = i + 1; j < d.length; j++) {
                if (d[i] == null || d[j] == null) continue;
                String common = common(d[i], d[j]);
                if (common != null) {
                    throw new ConstraintException("JSON schema at " + path + ": oneOf branches " + i + " and " + j
                            + " both accept " + common + "; make them disjoint or use anyOf");
                }
            }
        }
    }

    /** A shortest byte string both accept, or null. */
    private static String common(ByteDfa a, ByteDfa b) {
        Map<Long, long[]> seen = new HashMap<>();      // pair -> {parent pair, byte}
        ArrayDeque<Long> q = new ArrayDeque<>();
        long startPair = pair(a.start, b.start);
        seen.put(startPair, null);
        q.add(startPair);
        while (!q.isEmpty()) {
            long p = q.poll();
            int sa = (int) (p >>> 32), sb = (int) p;
            if (a.accepting[sa] && b.accepting[sb]) return path(seen, p);
            for (int x = 0; x < 256; x++) {
                int ta = a.step(sa, x);
                if (ta == ByteDfa.DEAD) continue;
                int tb = b.step(sb, x);
                if (tb == ByteDfa.DEAD) continue;
                long t = pair(ta, tb);
                if (seen.containsKey(t)) continue;
                if (seen.size() > LIMIT) return null;
                seen.put(t, new long[]{p, x});
                q.add(t);
            }
        }
        return null;
    }

    private static long pair(int a, int b) { return ((long) a << 32) | (b & 0xffffffffL); }

    private static String path(Map<Long, long[]> seen, long end) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.util.ArrayList<Integer> bytes = new java.util.ArrayList<>();
        long p = end;
        while (seen.get(p) != null) {
            long[] e = seen.get(p);
            bytes.add((int) e[1]);
            p = e[0];
        }
        for (int i = bytes.size() - 1; i >= 0; i--) out.write(bytes.get(i));
        return out.toString(StandardCharsets.UTF_8);
    }
}
