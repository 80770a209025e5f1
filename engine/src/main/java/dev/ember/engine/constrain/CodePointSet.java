package dev.ember.engine.constrain;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of Unicode scalar values as sorted, disjoint, non-adjacent inclusive ranges.
 * Surrogates (U+D800..U+DFFF) are never members: they have no UTF-8 encoding, so a constraint can
 * never emit them.
 */
record CodePointSet(int[] ranges) {
    static final int MAX = Character.MAX_CODE_POINT;
    static final CodePointSet EMPTY = new CodePointSet(new int[0]);
    static final CodePointSet ALL = of(0, MAX);

    static CodePointSet of(int lo, int hi) {
        return normalize(new int[]{lo, hi});
    }

    static CodePointSet single(int cp) { return of(cp, cp); }

    static CodePointSet ofChars(String chars) {
        int[] r = new int[chars.codePointCount(0, chars.length()) * 2];
        int k = 0;
        for (int i = 0; i < chars.length(); ) {
            int cp = chars.codePointAt(i);
            i += Character.charCount(cp);
            r[k++] = cp;
            r[k++] = cp;
        }
        return normalize(r);
    }

    /** Sorts and merges pairs, and removes surrogates. */
    static CodePointSet normalize(int[] pairs) {
        int n = pairs.length / 2;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            if (pairs[2 * i] > pairs[2 * i + 1]) throw new IllegalArgumentException("bad range " + pairs[2 * i] + ".." + pairs[2 * i + 1]);
            packed[i] = ((long) pairs[2 * i] << 32) | (pairs[2 * i + 1] & 0xffffffffL);
        }
        Arrays.sort(packed);
        List<int[]> out = new ArrayList<>();
        for (long p : packed) {
            int lo = (int) (p >>> 32), hi = (int) p;
            if (!out.isEmpty() && lo <= out.getLast()[1] + 1) {
                out.getLast()[1] = Math.max(out.getLast()[1], hi);
            } else {
                out.add(new int[]{lo, hi});
            }
        }
        // cut out the surrogate block
        List<int[]> clean = new ArrayList<>();
        for (int[] r : out) {
            if (r[1] < 0xD800 || r[0] > 0xDFFF) { clean.add(r); continue; }
            if (r[0] < 0xD800) clean.add(new int[]{r[0], 0xD7FF});
            if (r[1] > 0xDFFF) clean.add(new int[]{0xE000, r[1]});
        }
        int[] flat = new int[clean.size() * 2];
        for (int i = 0; i < clean.size(); i++) {
            flat[2 * i] = clean.get(i)[0];
            flat[2 * i + 1] = clean.get(i)[1];
        }
        return new CodePointSet(flat);
    }

    int rangeCount() { return ranges.length / 2; }
    int lo(int i) { return ranges[2 * i]; }
    int hi(int i) { return ranges[2 * i + 1]; }
    boolean isEmpty() { return ranges.length == 0; }

    long size() {
        long s = 0;
        for (int i = 0; i < rangeCount(); i++) s += hi(i) - lo(i) + 1L;
        return s;
    }

    boolean contains(int cp) {
        for (int i = 0; i < rangeCount(); i++) if (cp >= lo(i) && cp <= hi(i)) return true;
        return false;
    }

    CodePointSet union(CodePointSet o) {
        int[] r = Arrays.copyOf(ranges, ranges.length + o.ranges.length);
        System.arraycopy(o.ranges, 0, r, ranges.length, o.ranges.length);
        return normalize(r);
    }

    CodePointSet complement() {
        List<Integer> r = new ArrayList<>();
        int next = 0;
        for (int i = 0; i < rangeCount(); i++) {
            if (lo(i) > next) { r.add(next); r.add(lo(i) - 1); }
            next = hi(i) + 1;
        }
        if (next <= MAX) { r.add(next); r.add(MAX); }
        return normalize(r.stream().mapToInt(Integer::intValue).toArray());
    }

    CodePointSet intersect(CodePointSet o) {
        return complement().union(o.complement()).complement();
    }

    CodePointSet minus(CodePointSet o) {
        return intersect(o.complement());
    }

    /** Adds the simple upper-, lower- and title-case variants of every member (for small sets; large sets are returned as they are). */
    /**
     * The set with the other case of each ASCII letter added: java.util.regex's CASE_INSENSITIVE
     * without UNICODE_CASE, which is what {@code (?i)} means there ({@code (?i)Σ} does not match σ).
     */
    CodePointSet asciiCaseInsensitive() {
        CodePointSet upper = intersect(of('A', 'Z')), lower = intersect(of('a', 'z'));
        return union(upper.shift('a' - 'A')).union(lower.shift('A' - 'a'));
    }

    /** Every code point moved by {@code delta} (ranges stay sorted and disjoint). */
    private CodePointSet shift(int delta) {
        int[] r = ranges.clone();
        for (int k = 0; k < r.length; k++) r[k] += delta;
        return new CodePointSet(r);
    }

    CodePointSet caseInsensitive() {
        if (size() > 70_000) return this;
        List<Integer> extra = new ArrayList<>();
        for (int i = 0; i < rangeCount(); i++) {
            for (int cp = lo(i); cp <= hi(i); cp++) {
                int u = Character.toUpperCase(cp), l = Character.toLowerCase(cp), t = Character.toTitleCase(cp);
                if (u != cp) { extra.add(u); extra.add(u); }
                if (l != cp) { extra.add(l); extra.add(l); }
                if (t != cp) { extra.add(t); extra.add(t); }
            }
        }
        if (extra.isEmpty()) return this;
        return union(normalize(extra.stream().mapToInt(Integer::intValue).toArray()));
    }

    @Override
    public boolean equals(Object o) { return o instanceof CodePointSet c && Arrays.equals(ranges, c.ranges); }

    @Override
    public int hashCode() { return Arrays.hashCode(ranges); }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < rangeCount(); i++) sb.append(String.format("%X-%X ", lo(i), hi(i)));
        return sb.append(']').toString();
    }
}
