package dev.ember.engine.constrain;

import dev.ember.engine.api.Constraint;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A constraint compiled against one vocabulary: its byte automaton and, per automaton state, the
 * mask of tokens that keep the output completable. Masks are computed the first time a state is
 * reached and kept for the life of the object (as Outlines keeps its state-to-token index and
 * XGrammar its per-state token cache), so every later request with the same constraint reuses them;
 * many sequences may read and fill the cache at once (a racing fill computes the same mask twice and
 * one copy wins). Immutable apart from the cache.
 */
public final class CompiledConstraint {
    private final Constraint source;
    private final ByteDfa dfa;
    private final TokenVocabulary vocab;
    private final boolean allowEndOfGeneration;
    private final AtomicReferenceArray<long[]> masks;
    private final AtomicLong cachedMasks = new AtomicLong();
    /** Distinct masks: states with the same allowed set (all the "inside a string" states, say) share one array. */
    private final java.util.concurrent.ConcurrentHashMap<MaskKey, long[]> distinct = new java.util.concurrent.ConcurrentHashMap<>();

    private record MaskKey(long[] bits, int hash) {
        MaskKey(long[] bits) { this(bits, java.util.Arrays.hashCode(bits)); }
        @Override public boolean equals(Object o) { return o instanceof MaskKey k && hash == k.hash && java.util.Arrays.equals(bits, k.bits); }
        @Override public int hashCode() { return hash; }
    }
    private final long compileNanos;

    private CompiledConstraint(Constraint source, ByteDfa dfa, TokenVocabulary vocab, boolean allowEndOfGeneration, long compileNanos) {
        this.source = source;
        this.dfa = dfa;
        this.vocab = vocab;
        this.allowEndOfGeneration = allowEndOfGeneration;
        this.masks = new AtomicReferenceArray<>(dfa.size());
        this.compileNanos = compileNanos;
    }

    /**
     * Compiles {@code c} for {@code vocab}.
     *
     * @param allowEndOfGeneration false when the request ignores EOS: then end-of-generation tokens are never allowed
     * @throws ConstraintException naming what is wrong or unsupported
     */
    public static CompiledConstraint compile(Constraint c, TokenVocabulary vocab, boolean allowEndOfGeneration) {
        long t0 = System.nanoTime();
        Rx rx = toRx(c);
        ByteDfa dfa = ByteDfa.of(rx);
        return new CompiledConstraint(c, dfa, vocab, allowEndOfGeneration, System.nanoTime() - t0);
    }

    /**
     * Checks that {@code c} compiles (its syntax and keywords), without a model's vocabulary: what
     * a caller can check up front, before any request runs.
     *
     * @throws ConstraintException naming what is wrong or unsupported
     */
    public static void check(Constraint c) {
        ByteDfa.of(toRx(c));
    }

    static Rx toRx(Constraint c) {
        return switch (c) {
            case Constraint.JsonSchema j -> JsonSchema.compile(j.schema());
            case Constraint.Regex r -> JavaRegex.parse(r.pattern());
            case Constraint.Choice ch -> {
                List<Rx> options = new ArrayList<>();
                for (String s : ch.options()) options.add(Rx.literal(s));
                yield Rx.alt(options);
            }
            case Constraint.Grammar g -> Gbnf.compile(g.gbnf(), g.maxDepth());
        };
    }

    public Constraint source() { return source; }

    /** A fresh cursor at the start of the output. */
    public ConstraintCursor start() { return new ConstraintCursor(this, dfa.start); }

    /** States of the minimized automaton. */
    public int states() { return dfa.size(); }

    /** Masks computed so far. */
    public long cachedMasks() { return cachedMasks.get(); }

    /** Distinct masks among them (states with equal masks share one array). */
    public int distinctMasks() { return distinct.size(); }

    /** Bytes held by the cached masks (each distinct mask once). */
    public long cacheBytes() { return (long) distinct.size() * words() * 8L; }

    /** Time the compilation to an automaton took (masks come later, lazily). */
    public long compileNanos() { return compileNanos; }

    /** Computes every state's mask now instead of on first use; returns how long it took. */
    public long precomputeAll() {
        long t0 = System.nanoTime();
        for (int s = 0; s < dfa.size(); s++) mask(s);
        return System.nanoTime() - t0;
    }

    int words() { return (vocab.size() + 63) >>> 6; }

    ByteDfa dfa() { return dfa; }

    TokenVocabulary vocabulary() { return vocab; }

    boolean accepting(int state) { return dfa.accepting[state]; }

    boolean terminal(int state) { return dfa.terminal(state); }

    /** The state after {@code token} from {@code state}, or DEAD if the token is not allowed there. */
    int advance(int state, int token) {
        if (token < 0 || token >= vocab.size()) return ByteDfa.DEAD;
        if (vocab.isEndOfGeneration(token)) return ByteDfa.DEAD;
        byte[] b = vocab.bytes(token);
        if (b.length == 0) return ByteDfa.DEAD;
        return dfa.walk(state, b);
    }

    boolean endOfGenerationAllowed(int state) { return allowEndOfGeneration && dfa.accepting[state]; }

    long[] mask(int state) {
        long[] m = masks.get(state);
        if (m == null) {
            long[] fresh = computeMask(state);
            m = distinct.computeIfAbsent(new MaskKey(fresh), k -> k.bits());
            if (masks.compareAndSet(state, null, m)) cachedMasks.incrementAndGet();
            else m = masks.get(state);
        }
        return m;
    }

    /** One depth-first walk of the vocabulary trie beside the automaton, skipping dead subtrees. */
    private long[] computeMask(int state) {
        TokenVocabulary v = vocab;
        long[] mask = new long[words()];
        int[] at = new int[v.maxDepth + 1];
        at[0] = state;
        byte[] nodeByte = v.nodeByte;
        int[] depth = v.nodeDepth, end = v.nodeEnd, from = v.nodeTokenFrom, count = v.nodeTokenCount, sorted = v.sortedTokens;
        int[] next = dfa.next, classOf = dfa.classOf;
        int classes = dfa.classes;
        int n = nodeByte.length;
        for (int k = 0; k < n; ) {
            int d = depth[k];
            int s = next[at[d - 1] * classes + classOf[nodeByte[k] & 0xff]];
            if (s == ByteDfa.DEAD) {
                k = end[k];
                continue;
            }
            at[d] = s;
            for (int j = from[k], e = j + count[k]; j < e; j++) {
                int id = sorted[j];
                mask[id >>> 6] |= 1L << id;
            }
            k++;
        }
        if (endOfGenerationAllowed(state)) for (int id : v.endOfGeneration()) mask[id >>> 6] |= 1L << id;
        return mask;
    }
}
