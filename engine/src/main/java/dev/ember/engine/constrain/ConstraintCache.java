package dev.ember.engine.constrain;

import dev.ember.engine.api.Constraint;
import dev.ember.engine.tokenizer.Tokenizer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * One engine's compiled constraints, keyed by (constraint, EOS allowed), so requests that share a
 * schema share its automaton and its mask cache: a Spark job with one schema over many rows compiles
 * once. Bounded (least recently used constraints are dropped) so that per-row schemas cannot grow it
 * without end. The vocabulary index is built on first use. Thread-safe.
 */
public final class ConstraintCache {
    private final Supplier<TokenVocabulary> vocabSource;
    private final int capacity;
    private volatile TokenVocabulary vocab;
    private final Map<Key, CompiledConstraint> cache;

    private record Key(Constraint constraint, boolean allowEndOfGeneration) {}

    public ConstraintCache(Tokenizer tokenizer, int modelVocab, int capacity) {
        this(() -> TokenVocabulary.of(tokenizer, modelVocab), capacity);
    }

    ConstraintCache(Supplier<TokenVocabulary> vocabSource, int capacity) {
        this.vocabSource = vocabSource;
        this.capacity = capacity;
        this.cache = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, CompiledConstraint> e) { return size() > ConstraintCache.this.capacity; }
        };
    }

    public TokenVocabulary vocabulary() {
        TokenVocabulary v = vocab;
        if (v == null) {
            synchronized (this) {
                if (vocab == null) vocab = vocabSource.get();
                v = vocab;
            }
        }
        return v;
    }

    /**
     * The compiled form of {@code c}, compiling it on first use.
     *
     * @throws ConstraintException if it cannot be compiled
     */
    public CompiledConstraint get(Constraint c, boolean allowEndOfGeneration) {
        Key key = new Key(c, allowEndOfGeneration);
        synchronized (cache) {
            CompiledConstraint hit = cache.get(key);
            if (hit != null) return hit;
        }
        // compile outside the lock: a slow schema does not hold up requests for others
        CompiledConstraint compiled = CompiledConstraint.compile(c, vocabulary(), allowEndOfGeneration);
        synchronized (cache) {
            CompiledConstraint raced = cache.putIfAbsent(key, compiled);
            return raced != null ? raced : compiled;
        }
    }

    /** A cursor at the start of {@code c}'s output. */
    public ConstraintCursor start(Constraint c, boolean allowEndOfGeneration) {
        return get(c, allowEndOfGeneration).start();
    }
}
